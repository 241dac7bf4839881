package dev.trainyard.backend.observability;

import dev.trainyard.workflow.RunStatus;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The catalog reads behind the series: plain JDBC on the pool, outside any transaction, since
 * gauges are read on the scrape's thread and attempts after their own transaction committed.
 */
@Singleton
public class RunMetricsRepository {
  /** A step's pool, from the run's plan ({@code default} unless the step names one). */
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

  /**
   * An attempt's labels and its age: from its start to its end, or to now while it runs.
   *
   * @param seconds from {@code step_attempt.started_at} to {@code finished_at} (or now)
   */
  public record Attempt(String kind, String pool, String status, double seconds) {}

  private final DataSource db;

  @Inject
  public RunMetricsRepository(DataSource db) {
    this.db = db;
  }

  public Optional<Attempt> attempt(String runId, String stepId, int attempt) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement q = c.prepareStatement(ATTEMPT)) {
      q.setString(1, runId);
      q.setString(2, stepId);
      q.setInt(3, attempt);
      try (ResultSet row = q.executeQuery()) {
        return row.next()
            ? Optional.of(
                new Attempt(row.getString(1), row.getString(2), row.getString(3), row.getDouble(4)))
            : Optional.empty();
      }
    }
  }

  /** Runs by status: one grouped count over the run table's status index. */
  public Map<RunStatus, Long> runsByStatus() throws SQLException {
    Map<RunStatus, Long> counts = new EnumMap<>(RunStatus.class);
    try (Connection c = db.getConnection();
        PreparedStatement q =
            c.prepareStatement("SELECT status, count(*) FROM run GROUP BY status");
        ResultSet rows = q.executeQuery()) {
      while (rows.next()) {
        counts.put(RunStatus.valueOf(rows.getString(1)), rows.getLong(2));
      }
    }
    return counts;
  }
}
