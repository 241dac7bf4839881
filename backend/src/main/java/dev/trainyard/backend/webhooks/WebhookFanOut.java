package dev.trainyard.backend.webhooks;

import dev.trainyard.backend.events.DomainEvent;
import dev.trainyard.backend.events.EventSink;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Turns each event into a pending delivery per subscription of its team that wants its type. */
@ApplicationScoped
public class WebhookFanOut implements EventSink {
  @Inject WebhookRepository repository;

  @Override
  public void accept(DomainEvent event) {
    repository.fanOut(event.id(), event.team(), event.type());
  }
}
