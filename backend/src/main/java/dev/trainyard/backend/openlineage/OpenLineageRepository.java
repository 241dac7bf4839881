package dev.trainyard.backend.openlineage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** What an event is built from (committed catalog rows), and the events stored so far. */
@ApplicationScoped
public class OpenLineageRepository {
  @Inject EntityManager em;

  /** One attempt as the ledger recorded it, with its run's template version. */
  public record AttemptFacts(
      String runId,
      String stepId,
      int attempt,
      String kind,
      String status,
      OffsetDateTime startedAt,
      OffsetDateTime finishedAt,
      String error,
      String worker,
      String template,
      int templateVersion,
      String spec,
      String specSha256) {}

  /**
   * An artifact an attempt read or wrote.
   *
   * @param format the dataset version's format ({@code jsonl-text}, {@code chat}...), else null
   */
  public record ArtifactFacts(
      String name,
      String role,
      String id,
      String type,
      long sizeBytes,
      long files,
      String format) {}

  public Optional<AttemptFacts> attempt(String runId, String stepId, int attempt) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT s.kind, sa.status, sa.started_at, sa.finished_at, sa.error, sa.worker, "
                    + "r.template_name, r.template_version, tv.spec, tv.spec_sha256 "
                    + "FROM step_attempt sa JOIN step s ON s.run_id = sa.run_id AND s.step_id = sa.step_id "
                    + "JOIN run r ON r.id = sa.run_id "
                    + "JOIN template_version tv ON tv.template_name = r.template_name AND tv.version = r.template_version "
                    + "WHERE sa.run_id = ?1 AND sa.step_id = ?2 AND sa.attempt = ?3")
            .setParameter(1, runId)
            .setParameter(2, stepId)
            .setParameter(3, attempt)
            .getResultList();
    return rows.stream()
        .findFirst()
        .map(
            r ->
                new AttemptFacts(
                    runId,
                    stepId,
                    attempt,
                    (String) r[0],
                    (String) r[1],
                    toOffset(r[2]),
                    toOffset(r[3]),
                    (String) r[4],
                    (String) r[5],
                    (String) r[6],
                    ((Number) r[7]).intValue(),
                    (String) r[8],
                    (String) r[9]));
  }

  /**
   * The artifacts the step reads, from its planned input bindings: a parameter's artifact, or the
   * named output of the latest succeeded attempt of an earlier step. An output not written yet is
   * left out (an attempt that fails before its inputs exist).
   */
  public List<ArtifactFacts> inputs(String runId, String stepId) {
    return artifacts(
        "WITH binding AS ("
            + " SELECT b->>'name' AS name, b->>'role' AS role, COALESCE(b->>'artifactId', ("
            + "  SELECT so.artifact_id FROM step_output so JOIN step_attempt sa ON sa.run_id = so.run_id "
            + "  AND sa.step_id = so.step_id AND sa.attempt = so.attempt AND sa.status = 'SUCCEEDED' "
            + "  WHERE so.run_id = r.id AND so.step_id = b->>'fromStep' AND so.name = b->>'output' "
            + "  ORDER BY so.attempt DESC LIMIT 1)) AS artifact_id, ord "
            + " FROM run r, jsonb_array_elements(r.plan->'steps') st, "
            + " jsonb_array_elements(st->'inputs') WITH ORDINALITY AS i(b, ord) "
            + " WHERE r.id = ?1 AND st->>'id' = ?2) "
            + "SELECT binding.name, binding.role, a.id, a.type, a.size_bytes, "
            + "(SELECT count(*) FROM artifact_file f WHERE f.artifact_id = a.id), dv.format "
            + "FROM binding JOIN artifact a ON a.id = binding.artifact_id "
            + "LEFT JOIN dataset_version dv ON dv.artifact_id = a.id ORDER BY binding.ord",
        runId,
        stepId,
        null);
  }

  /** What the attempt wrote (also a failed attempt's kept outputs), by output name. */
  public List<ArtifactFacts> outputs(String runId, String stepId, int attempt) {
    return artifacts(
        "SELECT so.name, 'output:' || so.name, a.id, a.type, a.size_bytes, "
            + "(SELECT count(*) FROM artifact_file f WHERE f.artifact_id = a.id), dv.format "
            + "FROM step_output so JOIN artifact a ON a.id = so.artifact_id "
            + "LEFT JOIN dataset_version dv ON dv.artifact_id = a.id "
            + "WHERE so.run_id = ?1 AND so.step_id = ?2 AND so.attempt = ?3 ORDER BY so.name",
        runId,
        stepId,
        attempt);
  }

  private List<ArtifactFacts> artifacts(String sql, String runId, String stepId, Integer attempt) {
    var query = em.createNativeQuery(sql).setParameter(1, runId).setParameter(2, stepId);
    if (attempt != null) {
      query.setParameter(3, attempt);
    }
    @SuppressWarnings("unchecked")
    List<Object[]> rows = query.getResultList();
    return rows.stream()
        .map(
            r ->
                new ArtifactFacts(
                    (String) r[0],
                    (String) r[1],
                    (String) r[2],
                    (String) r[3],
                    ((Number) r[4]).longValue(),
                    ((Number) r[5]).longValue(),
                    (String) r[6]))
        .toList();
  }

  /**
   * Stores an event unless this attempt already has one of its type (a retried ledger call): true
   * when it was stored, and so is to be sent.
   */
  public boolean insert(
      String runId,
      String stepId,
      int attempt,
      String eventType,
      OffsetDateTime eventTime,
      String eventJson) {
    return em.createNativeQuery(
                "INSERT INTO openlineage_event (run_id, step_id, attempt, event_type, event_time, event) "
                    + "VALUES (?1, ?2, ?3, ?4, ?5, CAST(?6 AS json)) "
                    + "ON CONFLICT (run_id, step_id, attempt, event_type) DO NOTHING")
            .setParameter(1, runId)
            .setParameter(2, stepId)
            .setParameter(3, attempt)
            .setParameter(4, eventType)
            .setParameter(5, eventTime)
            .setParameter(6, eventJson)
            .executeUpdate()
        == 1;
  }

  /** The run's events as stored (the JSON text sent), in the order they were emitted. */
  public List<String> eventsOfRun(String runId) {
    @SuppressWarnings("unchecked")
    List<String> rows =
        em.createNativeQuery(
                "SELECT CAST(event AS text) FROM openlineage_event WHERE run_id = ?1 ORDER BY seq")
            .setParameter(1, runId)
            .getResultList();
    return rows;
  }

  private static OffsetDateTime toOffset(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof OffsetDateTime odt) {
      return odt;
    }
    if (value instanceof java.time.Instant instant) {
      return instant.atOffset(java.time.ZoneOffset.UTC);
    }
    if (value instanceof java.sql.Timestamp ts) {
      return ts.toInstant().atOffset(java.time.ZoneOffset.UTC);
    }
    throw new IllegalStateException("unexpected timestamp type " + value.getClass());
  }
}
