package dev.trainyard.backend.observability;

import dev.trainyard.workflow.RunStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.SQLException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The run and step series. Runs by status are gauges read from the catalog (one grouped count,
 * cached {@link #RUN_COUNTS_TTL}), so they answer "how many runs are RUNNING now" on every replica
 * alike and survive restarts. Step attempts are counted when the ledger commits their end, with
 * kind, pool and status read back from the committed row: tags are low-cardinality only (never a
 * run or step id).
 */
@Singleton
@io.quarkus.runtime.Startup // the gauges exist from the first scrape
public class RunMetrics {
  private static final Logger LOG = Logger.getLogger(RunMetrics.class);
  static final Duration RUN_COUNTS_TTL = Duration.ofSeconds(5);

  private static final Duration[] STEP_BUCKETS = {
    Duration.ofSeconds(1),
    Duration.ofSeconds(5),
    Duration.ofSeconds(15),
    Duration.ofSeconds(30),
    Duration.ofMinutes(1),
    Duration.ofMinutes(5),
    Duration.ofMinutes(15),
    Duration.ofHours(1),
    Duration.ofHours(4),
    Duration.ofHours(12),
    Duration.ofHours(24)
  };
  private static final Duration[] WAIT_BUCKETS = {
    Duration.ofMillis(10),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(5),
    Duration.ofSeconds(30),
    Duration.ofMinutes(2),
    Duration.ofMinutes(10),
    Duration.ofHours(1)
  };
  private static final Duration[] WRITE_BUCKETS = {
    Duration.ofMillis(1),
    Duration.ofMillis(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(5)
  };

  private final MeterRegistry registry;
  private final RunMetricsRepository catalog;
  private volatile Map<RunStatus, Long> runCounts = new EnumMap<>(RunStatus.class);
  private volatile long runCountsReadAt;

  @Inject
  public RunMetrics(MeterRegistry registry, RunMetricsRepository catalog) {
    this.registry = registry;
    this.catalog = catalog;
    for (RunStatus status : RunStatus.values()) {
      Gauge.builder("trainyard.runs", this, m -> m.runs(status))
          .description("Runs in the catalog by status (read from the database, cached 5 s)")
          .tag("status", status.name())
          .register(registry);
    }
    Gauge.builder(
            "trainyard.runs.live", this, m -> m.runs(RunStatus.PENDING) + m.runs(RunStatus.RUNNING))
        .description("Runs not yet ended: PENDING or RUNNING")
        .register(registry);
  }

  /** After the ledger committed an attempt's end: counts it and records its duration. */
  public void attemptEnded(String runId, String stepId, int attempt) {
    try {
      catalog
          .attempt(runId, stepId, attempt)
          .ifPresent(
              a -> {
                Counter.builder("trainyard.step.attempts")
                    .description("Step attempts that ended, by kind, pool and final status")
                    .tags("kind", a.kind(), "pool", a.pool(), "status", a.status())
                    .register(registry)
                    .increment();
                Timer.builder("trainyard.step.duration")
                    .description(
                        "From an attempt's start in the ledger to its end (includes the grant wait)")
                    .tags("kind", a.kind(), "pool", a.pool())
                    .serviceLevelObjectives(STEP_BUCKETS)
                    .register(registry)
                    .record(seconds(a.seconds()));
              });
    } catch (SQLException | RuntimeException e) {
      LOG.warnf(e, "metrics of attempt %s/%s/%d not recorded", runId, stepId, attempt);
    }
  }

  /**
   * When the backend grants (signs) an attempt for a worker: the time since the ledger recorded it.
   * The wait in the pool's task queue after the grant happens in Temporal and is not visible here.
   */
  public void attemptGranted(String runId, String stepId, int attempt) {
    try {
      catalog
          .attempt(runId, stepId, attempt)
          .ifPresent(
              a ->
                  Timer.builder("trainyard.step.grant.wait")
                      .description(
                          "From an attempt's start in the ledger until the backend granted it")
                      .tags("kind", a.kind(), "pool", a.pool())
                      .serviceLevelObjectives(WAIT_BUCKETS)
                      .register(registry)
                      .record(seconds(a.seconds())));
    } catch (SQLException | RuntimeException e) {
      LOG.warnf(e, "grant wait of attempt %s/%s/%d not recorded", runId, stepId, attempt);
    }
  }

  /** One committed ledger write, {@code op} the ledger method, timed from {@code startNanos}. */
  public void ledgerWrite(String op, long startNanos) {
    Timer.builder("trainyard.ledger.write")
        .description("Latency of the ledger's committed transactions, by ledger operation")
        .tag("op", op)
        .serviceLevelObjectives(WRITE_BUCKETS)
        .register(registry)
        .record(Duration.ofNanos(System.nanoTime() - startNanos));
  }

  private double runs(RunStatus status) {
    long now = System.nanoTime();
    if (now - runCountsReadAt > RUN_COUNTS_TTL.toNanos()) {
      runCounts = readRunCounts();
      runCountsReadAt = now;
    }
    return runCounts.getOrDefault(status, 0L);
  }

  private Map<RunStatus, Long> readRunCounts() {
    try {
      return catalog.runsByStatus();
    } catch (SQLException | RuntimeException e) {
      LOG.warn("run counts not read; the gauges keep their last values", e);
      return runCounts;
    }
  }

  private static Duration seconds(double seconds) {
    return Duration.ofNanos((long) (Math.max(0, seconds) * 1e9));
  }
}
