package dev.trainyard.backend.events;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Hands committed events to every {@link EventSink}, in order, on a background thread: a run's
 * ledger write only inserts its event row and never waits for a receiver. Events are claimed with
 * {@code FOR UPDATE SKIP LOCKED} and marked dispatched in the same transaction as the sinks' rows,
 * so with several backend replicas each event is handed out by exactly one of them, and a crash
 * before the commit hands it out again (sinks are idempotent per event).
 */
@ApplicationScoped
public class OutboxRelay {
  private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
  private static final int BATCH = 100;

  @Inject EventRepository events;
  @Inject Instance<EventSink> sinks;

  @Inject OutboxConfig config;

  private ScheduledExecutorService timer;

  void start(@Observes StartupEvent event) {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("outbox-relay").unstarted(r));
    timer.scheduleWithFixedDelay(
        this::relaySafely,
        config.relayInterval().toMillis(),
        config.relayInterval().toMillis(),
        TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent event) {
    if (timer != null) {
      timer.shutdownNow();
    }
  }

  private void relaySafely() {
    try {
      while (relayOnce() == BATCH) {
        // a full batch: more may be waiting
      }
    } catch (RuntimeException e) {
      // The database may be restarting: the next tick tries again; nothing is lost.
      LOG.warnf("outbox relay: %s", e.toString());
    }
  }

  /** One batch; returns how many events it dispatched. */
  public int relayOnce() {
    return QuarkusTransaction.requiringNew()
        .call(
            () -> {
              List<DomainEvent> batch = events.claimUndispatched(BATCH);
              for (DomainEvent event : batch) {
                for (EventSink sink : sinks) {
                  sink.accept(event);
                }
                events.markDispatched(event.id());
              }
              return batch.size();
            });
  }
}
