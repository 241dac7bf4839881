package dev.trainyard.backend.triggers;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.events.DomainEvent;
import dev.trainyard.backend.events.EventRepository;
import dev.trainyard.backend.runs.RunService;
import dev.trainyard.backend.security.Caller;
import dev.trainyard.backend.triggers.TriggerRepository.Claimed;
import dev.trainyard.backend.triggers.Triggers.Trigger;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Launches the runs of pending firings, on a background thread. The launch's Idempotency-Key is
 * derived from the event id and the trigger ({@code trigger:<event>:<trigger>}), so a firing
 * launched twice (a crash after the launch, before its outcome was written; an event handed out
 * again) answers the first run instead of making a second. A launch the template refuses (bad bound
 * parameters: 4xx) fails for good, as bad user config is never retried; anything else (the workflow
 * service down) is retried a few times.
 */
@ApplicationScoped
public class TriggerLauncher {
  private static final Logger LOG = Logger.getLogger(TriggerLauncher.class);
  private static final int MAX_ATTEMPTS = 5;

  /** A chain of triggered runs longer than this stops: a trigger on its own template loops. */
  static final int MAX_DEPTH = 10;

  @Inject TriggerRepository repository;
  @Inject EventRepository events;
  @Inject RunService runs;
  @Inject dev.trainyard.backend.events.OutboxConfig config;

  private ScheduledExecutorService timer;

  void start(@Observes StartupEvent event) {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("trigger-launcher").unstarted(r));
    long every = config.relayInterval().toMillis();
    timer.scheduleWithFixedDelay(this::launchSafely, every, every, TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent event) {
    if (timer != null) {
      timer.shutdownNow();
    }
  }

  private void launchSafely() {
    try {
      launchDue();
    } catch (RuntimeException e) {
      LOG.warnf("trigger launcher: %s", e.toString());
    }
  }

  /** Launches every due firing; returns how many it tried. */
  public int launchDue() {
    List<Claimed> due =
        QuarkusTransaction.requiringNew()
            .call(() -> repository.claimDue(16, Duration.ofMinutes(2)));
    // Launching reads the catalog outside a transaction, as a request does: give it a request
    // context of its own.
    io.quarkus.arc.ManagedContext request = io.quarkus.arc.Arc.container().requestContext();
    request.activate();
    try {
      due.forEach(this::fire);
    } finally {
      request.terminate();
    }
    return due.size();
  }

  /**
   * Launches the trigger's template for the event; returns the run id (the same one however often
   * it is called for the same trigger and event).
   */
  public String launch(String triggerId, String eventId) {
    record Loaded(Trigger trigger, DomainEvent event) {}
    Loaded loaded =
        QuarkusTransaction.requiringNew()
            .call(
                () ->
                    new Loaded(
                        repository.find(triggerId).orElseThrow(),
                        events.find(eventId).orElseThrow()));
    Trigger trigger = loaded.trigger();
    DomainEvent event = loaded.event();
    Map<String, Object> data = event.data();
    TriggeredBy by = triggeredBy(trigger, event);
    if (by.depth() > MAX_DEPTH) {
      throw new EventBindings.Unbound(
          "a chain of " + MAX_DEPTH + " triggered runs already led here; this trigger stops it");
    }
    Map<String, Object> params = EventBindings.bind(trigger.params(), data);
    Caller caller =
        new Caller("trigger:" + trigger.id(), Set.of(Caller.OPERATOR), Set.of(trigger.team()));
    return runs.launch(
            caller,
            trigger.template(),
            trigger.templateVersion(),
            params,
            "trigger:" + event.id() + ":" + trigger.id(),
            by.asMap())
        .run()
        .id;
  }

  private void fire(Claimed claimed) {
    String status;
    String runId = null;
    String error = null;
    Instant retryAt = null;
    try {
      runId = launch(claimed.triggerId(), claimed.eventId());
      status = "LAUNCHED";
    } catch (EventBindings.Unbound e) {
      status = "FAILED";
      error = e.getMessage();
    } catch (ApiProblem e) {
      boolean retryable = e.status() >= 500 && claimed.attempt() < MAX_ATTEMPTS;
      status = retryable ? "PENDING" : "FAILED";
      error = e.getMessage() + (e.errors().isEmpty() ? "" : " " + e.errors());
      retryAt = retryable ? Instant.now().plusSeconds(5L << claimed.attempt()) : null;
    } catch (RuntimeException e) {
      boolean retryable = claimed.attempt() < MAX_ATTEMPTS;
      status = retryable ? "PENDING" : "FAILED";
      error = e.toString();
      retryAt = retryable ? Instant.now().plusSeconds(5L << claimed.attempt()) : null;
    }
    String outcome = status;
    String run = runId;
    String failure = error;
    Instant again = retryAt;
    QuarkusTransaction.requiringNew()
        .run(() -> repository.record(claimed, outcome, run, failure, again));
  }

  private static TriggeredBy triggeredBy(Trigger trigger, DomainEvent event) {
    Map<String, Object> data = event.data();
    String sourceRun = null;
    String sourceArtifact = null;
    int depth = 1;
    if (data.get("run") instanceof Map<?, ?> run) {
      sourceRun = (String) run.get("id");
      if (run.get("triggeredBy") instanceof Map<?, ?> earlier
          && earlier.get("depth") instanceof Number n) {
        depth = n.intValue() + 1;
      }
    } else if (data.get("dataset") instanceof Map<?, ?> dataset) {
      sourceArtifact = (String) dataset.get("id");
    } else if (data.get("alias") instanceof Map<?, ?> alias) {
      sourceArtifact = (String) alias.get("artifact");
    }
    return new TriggeredBy(
        trigger.id(), event.id(), event.type(), sourceRun, sourceArtifact, depth);
  }
}
