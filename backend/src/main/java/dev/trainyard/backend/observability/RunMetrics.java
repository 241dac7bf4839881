package dev.trainyard.backend.observability;

import dev.trainyard.workflow.RunStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import javax.sql.DataSource;
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

  /** A step's pool, from the run's plan; a kind the backend runs itself has none. */
  private static final String POOL =
      "COALESCE(jsonb_path_query_first(r.plan, '$.steps[*] ? (@.id == $id).pool', "
          + "jsonb_build_object('id', s.step_id)) #>> '{}', 'none')";

  private static final String ATTEMPT =
      "SELECT s.kind, "
          + POOL
          + ", sa.status, EXTRACT(EPOCH FROM (COALESCE(sa.finished_at, now()) - sa.started_at)) "
          + "FROM step_attempt sa JOIN step s ON s.run_id = sa.run_id AND s.step_id = sa.step_id "
          + "JOIN run r ON r.id = sa.run_id "
          + "WHERE sa.run_id = ? AND sa.step_id = ? AND sa.attempt = ?";

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
  private final DataSource db;
  private volatile Map<RunStatus, Long> runCounts = new EnumMap<>(RunStatus.class);
  private volatile long runCountsReadAt;

  @Inject
  public RunMetrics(MeterRegistry registry, DataSource db) {
    this.registry = registry;
    this.db = db;
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
    try (Connection c = db.getConnection();
        PreparedStatement q = attemptQuery(c, runId, stepId, attempt);
        ResultSet row = q.executeQuery()) {
      if (!row.next()) {
        return;
      }
      String kind = row.getString(1);
      String pool = row.getString(2);
      Counter.builder("trainyard.step.attempts")
          .description("Step attempts that ended, by kind, pool and final status")
          .tags("kind", kind, "pool", pool, "status", row.getString(3))
          .register(registry)
          .increment();
      Timer.builder("trainyard.step.duration")
          .description("From an attempt's start in the ledger to its end (includes the grant wait)")
          .tags("kind", kind, "pool", pool)
          .serviceLevelObjectives(STEP_BUCKETS)
          .register(registry)
          .record(seconds(row.getDouble(4)));
    } catch (SQLException | RuntimeException e) {
      LOG.warnf(e, "metrics of attempt %s/%s/%d not recorded", runId, stepId, attempt);
    }
  }

  /**
   * When the backend grants (signs) an attempt for a worker: the time since the ledger recorded it.
   * The wait in the pool's task queue after the grant happens in Temporal and is not visible here.
   */
  public void attemptGranted(String runId, String stepId, int attempt) {
    try (Connection c = db.getConnection();
        PreparedStatement q = attemptQuery(c, runId, stepId, attempt);
        ResultSet row = q.executeQuery()) {
      if (row.next()) {
        Timer.builder("trainyard.step.grant.wait")
            .description("From an attempt's start in the ledger until the backend granted it")
            .tags("kind", row.getString(1), "pool", row.getString(2))
            .serviceLevelObjectives(WAIT_BUCKETS)
            .register(registry)
            .record(seconds(row.getDouble(4)));
      }
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
    Map<RunStatus, Long> counts = new EnumMap<>(RunStatus.class);
    try (Connection c = db.getConnection();
        PreparedStatement q =
            c.prepareStatement("SELECT status, count(*) FROM run GROUP BY status");
        ResultSet rows = q.executeQuery()) {
      while (rows.next()) {
        counts.put(RunStatus.valueOf(rows.getString(1)), rows.getLong(2));
      }
      return counts;
    } catch (SQLException | RuntimeException e) {
      LOG.warn("run counts not read; the gauges keep their last values", e);
      return runCounts;
    }
  }

  private static PreparedStatement attemptQuery(
      Connection c, String runId, String stepId, int attempt) throws SQLException {
    PreparedStatement q = c.prepareStatement(ATTEMPT);
    q.setString(1, runId);
    q.setString(2, stepId);
    q.setInt(3, attempt);
    return q;
  }

  private static Duration seconds(double seconds) {
    return Duration.ofNanos((long) (Math.max(0, seconds) * 1e9));
  }
}
