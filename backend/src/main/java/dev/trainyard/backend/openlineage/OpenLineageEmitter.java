package dev.trainyard.backend.openlineage;

import dev.trainyard.backend.openlineage.OpenLineageRepository.ArtifactFacts;
import dev.trainyard.backend.openlineage.OpenLineageRepository.AttemptFacts;
import dev.trainyard.workflow.StepStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.openlineage.client.OpenLineage.RunEvent;
import io.openlineage.client.OpenLineage.RunEvent.EventType;
import io.openlineage.client.OpenLineageClientUtils;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The ledger's (and the trust gate's) hook: each call hands ids to a queue and returns. One thread
 * builds events from the committed rows, in the order the calls came (so an attempt's START is
 * stored before its COMPLETE) and stores each once; one thread per configured transport sends them
 * in that order, so a receiver that hangs delays only its own events. A full queue, a database
 * error or a receiver that fails or hangs is logged and counted ({@code trainyard_openlineage_*} in
 * /q/metrics), never passed back to the run.
 *
 * <p>Callers call after their transaction committed ({@code QuarkusTransaction.requiringNew()}
 * returns only then, and a rollback throws past the call), so a change that did not happen is never
 * announced.
 */
@ApplicationScoped
@io.quarkus.runtime.Startup // a bad transport setting stops the start, never a ledger call
public class OpenLineageEmitter {
  private static final Logger LOG = Logger.getLogger(OpenLineageEmitter.class);

  @Inject OpenLineageSettings settings;
  @Inject OpenLineageRepository repository;
  @Inject MeterRegistry meters;

  @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev")
  String version;

  private RunEventFactory factory;
  private List<Transports.Named> transports;
  private ThreadPoolExecutor builder;

  /** One sending thread per transport: a receiver that hangs delays only its own events. */
  private java.util.Map<String, ThreadPoolExecutor> senders;

  private Counter stored;
  private Counter dropped;
  private Counter buildFailures;

  @PostConstruct
  void start() {
    factory =
        new RunEventFactory(
            settings.producer(),
            settings.namespace(),
            settings.datasetNamespace().orElseGet(Transports::defaultDatasetNamespace),
            version);
    transports = Transports.of(settings);
    builder = singleThread("openlineage-build");
    senders = new java.util.HashMap<>();
    transports.forEach(t -> senders.put(t.name(), singleThread("openlineage-send-" + t.name())));
    stored = meters.counter("trainyard.openlineage.events.stored");
    dropped = meters.counter("trainyard.openlineage.events.dropped");
    buildFailures = meters.counter("trainyard.openlineage.events.build.failures");
    for (Transports.Named t : transports) {
      meters.counter("trainyard.openlineage.sends", "transport", t.name(), "outcome", "sent");
      meters.counter("trainyard.openlineage.sends", "transport", t.name(), "outcome", "failed");
    }
  }

  private ThreadPoolExecutor singleThread(String name) {
    return new ThreadPoolExecutor(
        1,
        1,
        0,
        TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(settings.queueCapacity()),
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  @PreDestroy
  void stop() {
    // What is queued still goes out on a clean stop, within a bound.
    drain(builder);
    senders.values().forEach(OpenLineageEmitter::drain);
    for (Transports.Named t : transports) {
      try {
        t.client().close();
      } catch (Exception e) {
        LOG.debugf(e, "closing the OpenLineage %s transport", t.name());
      }
    }
  }

  private static void drain(ThreadPoolExecutor executor) {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      executor.shutdownNow();
    }
  }

  /** An attempt began (running, or waiting for approval). */
  public void attemptStarted(String runId, String stepId, int attempt) {
    submit(EventType.START, runId, stepId, attempt);
  }

  /** A cacheable attempt began; a cache hit also completed it at once. */
  public void attemptBegun(String runId, String stepId, int attempt, boolean cacheHit) {
    submit(EventType.START, runId, stepId, attempt);
    if (cacheHit) {
      submit(EventType.COMPLETE, runId, stepId, attempt);
    }
  }

  /** The attempt's task was signed and handed to its executor (a worker's pool, or the backend). */
  public void attemptRunning(String runId, String stepId, int attempt) {
    submit(EventType.RUNNING, runId, stepId, attempt);
  }

  public void attemptCompleted(String runId, String stepId, int attempt) {
    submit(EventType.COMPLETE, runId, stepId, attempt);
  }

  public void attemptFailed(String runId, String stepId, int attempt) {
    submit(EventType.FAIL, runId, stepId, attempt);
  }

  /** An attempt ended with {@code status}: FAILED is FAIL, CANCELLED is ABORT. */
  public void attemptEnded(String runId, String stepId, int attempt, StepStatus status) {
    submit(
        switch (status) {
          case SUCCEEDED -> EventType.COMPLETE;
          case CANCELLED -> EventType.ABORT;
          default -> EventType.FAIL;
        },
        runId,
        stepId,
        attempt);
  }

  private void submit(EventType type, String runId, String stepId, int attempt) {
    OffsetDateTime handedOver = OffsetDateTime.now(ZoneOffset.UTC);
    try {
      builder.execute(() -> build(type, runId, stepId, attempt, handedOver));
    } catch (RuntimeException full) { // full, or shut down: never the ledger's problem
      dropped.increment();
      LOG.warnf("OpenLineage queue full: %s of %s/%s/%d dropped", type, runId, stepId, attempt);
    }
  }

  private void build(
      EventType type, String runId, String stepId, int attempt, OffsetDateTime handedOver) {
    try {
      RunEvent event =
          QuarkusTransaction.requiringNew()
              .call(
                  () -> {
                    AttemptFacts facts = repository.attempt(runId, stepId, attempt).orElse(null);
                    if (facts == null) {
                      throw new IllegalStateException("no such attempt in the catalog");
                    }
                    List<ArtifactFacts> outputs =
                        type == EventType.COMPLETE || type == EventType.FAIL
                            ? repository.outputs(runId, stepId, attempt)
                            : List.of();
                    RunEvent built =
                        factory.attemptEvent(
                            type,
                            eventTime(type, facts, handedOver),
                            facts,
                            repository.inputs(runId, stepId),
                            outputs);
                    boolean fresh =
                        repository.insert(
                            runId,
                            stepId,
                            attempt,
                            type.name(),
                            built.getEventTime().toOffsetDateTime(),
                            OpenLineageClientUtils.toJson(built));
                    return fresh ? built : null;
                  });
      if (event != null) {
        stored.increment();
        send(event);
      }
    } catch (RuntimeException e) {
      buildFailures.increment();
      LOG.warnf(e, "OpenLineage %s of %s/%s/%d not built", type, runId, stepId, attempt);
    }
  }

  /**
   * The ledger's times: START at the attempt's start, the end events at its finish. RUNNING has no
   * column of its own, so it is the time the hook handed it over.
   */
  private static OffsetDateTime eventTime(
      EventType type, AttemptFacts facts, OffsetDateTime handedOver) {
    return switch (type) {
      case START -> facts.startedAt();
      case COMPLETE, FAIL, ABORT -> facts.finishedAt() != null ? facts.finishedAt() : handedOver;
      default -> handedOver;
    };
  }

  private void send(RunEvent event) {
    for (Transports.Named t : transports) {
      try {
        senders
            .get(t.name())
            .execute(
                () -> {
                  try {
                    t.client().emit(event);
                    meters
                        .counter(
                            "trainyard.openlineage.sends", "transport", t.name(), "outcome", "sent")
                        .increment();
                  } catch (RuntimeException e) {
                    meters
                        .counter(
                            "trainyard.openlineage.sends",
                            "transport",
                            t.name(),
                            "outcome",
                            "failed")
                        .increment();
                    LOG.warnf(
                        "OpenLineage %s event of run %s not sent by the %s transport: %s",
                        event.getEventType(), event.getRun().getRunId(), t.name(), e.toString());
                  }
                });
      } catch (RejectedExecutionException full) {
        dropped.increment();
        LOG.warnf("OpenLineage send queue full: an event for the %s transport dropped", t.name());
      }
    }
  }
}
