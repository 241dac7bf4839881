package dev.trainyard.backend.events;

/**
 * A consumer of the outbox (webhooks, triggers). {@link OutboxRelay} hands it every committed event
 * once, inside the transaction that marks the event dispatched: a sink only writes its own rows
 * there (deliveries to send, launches to make) and does the slow part later, outside it.
 */
public interface EventSink {
  void accept(DomainEvent event);
}
