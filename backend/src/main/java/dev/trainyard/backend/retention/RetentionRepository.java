package dev.trainyard.backend.retention;

import dev.trainyard.backend.lineage.LineageNode;
import dev.trainyard.pipeline.kind.ArtifactType;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The SQL of retention: policies, the checkpoints a template's runs produced, what protects them,
 * and tombstones. Lineage walks are {@code LineageRepository}'s. Callers bring the transaction.
 */
@ApplicationScoped
class RetentionRepository {
  @Inject EntityManager em;

  /** A policy row; {@code keepLastFinals} null keeps every final. */
  record PolicyRow(
      int keepLastIntermediate,
      Integer keepLastFinals,
      OffsetDateTime updatedAt,
      String updatedBy) {}

  /** One step output that is a live checkpoint of the template, with its run. */
  record CheckpointRow(
      String artifactId,
      long sizeBytes,
      OffsetDateTime createdAt,
      String runId,
      String stepId,
      String output,
      String runStatus,
      String runTemplate,
      OffsetDateTime runCreatedAt,
      boolean consumedInRun) {}

  record AttemptKey(String runId, String stepId, int attempt) {}

  /** The run's template, if it has a retention policy. */
  Optional<String> templateWithPolicyOf(String runId) {
    @SuppressWarnings("unchecked")
    List<String> templates =
        em.createNativeQuery(
                "SELECT r.template_name FROM run r JOIN retention_policy p "
                    + "ON p.template_name = r.template_name WHERE r.id = ?1")
            .setParameter(1, runId)
            .getResultList();
    return templates.stream().findFirst();
  }

  Optional<PolicyRow> policy(String template) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT keep_last_intermediate, keep_last_finals, updated_at, updated_by "
                    + "FROM retention_policy WHERE template_name = ?1")
            .setParameter(1, template)
            .getResultList();
    return rows.stream()
        .findFirst()
        .map(
            r ->
                new PolicyRow(
                    ((Number) r[0]).intValue(),
                    r[1] == null ? null : ((Number) r[1]).intValue(),
                    time(r[2]),
                    (String) r[3]));
  }

  void upsertPolicy(
      String template, int keepLastIntermediate, Integer keepLastFinals, String user) {
    em.createNativeQuery(
            "INSERT INTO retention_policy (template_name, keep_last_intermediate, keep_last_finals, updated_by) "
                + "VALUES (?1, ?2, NULLIF(?3, -1), ?4) ON CONFLICT (template_name) DO UPDATE SET keep_last_intermediate = ?2, "
                + "keep_last_finals = NULLIF(?3, -1), updated_by = ?4, updated_at = now()")
        .setParameter(1, template)
        .setParameter(2, keepLastIntermediate)
        .setParameter(3, keepLastFinals == null ? -1 : keepLastFinals)
        .setParameter(4, user)
        .executeUpdate();
  }

  /**
   * Every step output that is a live checkpoint some run of the template produced, with every run
   * that produced it (of any template); {@code consumedInRun}: a later step of the same run read
   * it.
   */
  List<CheckpointRow> checkpointsOf(String template) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT a.id, a.size_bytes, a.created_at, so.run_id, so.step_id, so.name, r.status, r.template_name, "
                    + "r.created_at, EXISTS (SELECT 1 FROM lineage_edge e WHERE e.from_node = ?3 || a.id "
                    + "AND starts_with(e.to_node, ?4 || so.run_id || '/')) "
                    + "FROM artifact a JOIN step_output so ON so.artifact_id = a.id JOIN run r ON r.id = so.run_id "
                    + "WHERE a.type = ?2 AND a.deleted_at IS NULL AND a.id IN (SELECT so2.artifact_id "
                    + "FROM step_output so2 JOIN run r2 ON r2.id = so2.run_id WHERE r2.template_name = ?1)")
            .setParameter(1, template)
            .setParameter(2, ArtifactType.CHECKPOINT.wireName())
            .setParameter(3, LineageNode.Kind.ARTIFACT.prefix())
            .setParameter(4, LineageNode.Kind.STEP.prefix())
            .getResultList();
    return rows.stream()
        .map(
            r ->
                new CheckpointRow(
                    (String) r[0],
                    ((Number) r[1]).longValue(),
                    time(r[2]),
                    (String) r[3],
                    (String) r[4],
                    (String) r[5],
                    (String) r[6],
                    (String) r[7],
                    time(r[8]),
                    (Boolean) r[9]))
        .toList();
  }

  /** artifact id → alias name, for every alias (the first name when several point at one). */
  Map<String, String> aliases() {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery("SELECT artifact_id, name FROM alias ORDER BY name").getResultList();
    Map<String, String> out = new LinkedHashMap<>();
    rows.forEach(r -> out.putIfAbsent((String) r[0], (String) r[1]));
    return out;
  }

  /** artifact id → an unfinished run that reads it, as recorded at launch in run_input. */
  Map<String, String> readByUnfinishedRuns() {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT ri.artifact_id, min(ri.run_id) FROM run_input ri JOIN run r ON r.id = ri.run_id "
                    + "WHERE r.status IN ('PENDING', 'RUNNING') GROUP BY ri.artifact_id")
            .getResultList();
    Map<String, String> out = new LinkedHashMap<>();
    rows.forEach(r -> out.put((String) r[0], (String) r[1]));
    return out;
  }

  /** Attempts of the template's runs whose step is done: their resume states are not needed. */
  List<AttemptKey> attemptsOfDoneSteps(String template) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT sa.run_id, sa.step_id, sa.attempt FROM step_attempt sa "
                    + "JOIN step s ON s.run_id = sa.run_id AND s.step_id = sa.step_id JOIN run r ON r.id = sa.run_id "
                    + "WHERE r.template_name = ?1 AND s.status IN ('SUCCEEDED', 'REUSED') ORDER BY sa.run_id, sa.step_id, sa.attempt")
            .setParameter(1, template)
            .getResultList();
    return rows.stream()
        .map(r -> new AttemptKey((String) r[0], (String) r[1], ((Number) r[2]).intValue()))
        .toList();
  }

  /**
   * Locks the artifact's row for the deletion (alias moves, launches and cache hits share-lock it
   * and re-check); false when it is already a tombstone or unknown.
   */
  boolean lockLive(String artifactId) {
    return !em.createNativeQuery(
            "SELECT id FROM artifact WHERE id = ?1 AND deleted_at IS NULL FOR UPDATE")
        .setParameter(1, artifactId)
        .getResultList()
        .isEmpty();
  }

  /** Locks a tombstone's row; false once identical bytes stored again revived it. */
  boolean lockTombstone(String artifactId) {
    return !em.createNativeQuery(
            "SELECT id FROM artifact WHERE id = ?1 AND deleted_at IS NOT NULL FOR UPDATE")
        .setParameter(1, artifactId)
        .getResultList()
        .isEmpty();
  }

  void tombstone(String artifactId, String by, String reason) {
    em.createNativeQuery(
            "UPDATE artifact SET deleted_at = now(), deleted_by = ?2, deletion_reason = ?3 WHERE id = ?1")
        .setParameter(1, artifactId)
        .setParameter(2, by)
        .setParameter(3, reason)
        .executeUpdate();
  }

  List<String> tombstones() {
    @SuppressWarnings("unchecked")
    List<String> ids =
        em.createNativeQuery("SELECT id FROM artifact WHERE deleted_at IS NOT NULL")
            .getResultList();
    return ids;
  }

  Optional<String> aliasAt(String artifactId) {
    @SuppressWarnings("unchecked")
    List<String> alias =
        em.createNativeQuery("SELECT name FROM alias WHERE artifact_id = ?1 LIMIT 1")
            .setParameter(1, artifactId)
            .getResultList();
    return alias.stream().findFirst();
  }

  /** The status of a run that produced the artifact and is unfinished or may be retried. */
  Optional<String> unfinishedOrRetryableProducer(String artifactId) {
    @SuppressWarnings("unchecked")
    List<String> producers =
        em.createNativeQuery(
                "SELECT r.status FROM step_output so JOIN run r ON r.id = so.run_id "
                    + "WHERE so.artifact_id = ?1 AND r.status IN ('PENDING', 'RUNNING', 'FAILED', 'CANCELLED', 'INTERRUPTED') LIMIT 1")
            .setParameter(1, artifactId)
            .getResultList();
    return producers.stream().findFirst();
  }

  /** An unfinished run that reads the artifact, as recorded at launch in run_input. */
  Optional<String> unfinishedReader(String artifactId) {
    @SuppressWarnings("unchecked")
    List<String> readers =
        em.createNativeQuery(
                "SELECT r.id FROM run_input ri JOIN run r ON r.id = ri.run_id "
                    + "WHERE ri.artifact_id = ?1 AND r.status IN ('PENDING', 'RUNNING') ORDER BY r.id LIMIT 1")
            .setParameter(1, artifactId)
            .getResultList();
    return readers.stream().findFirst();
  }

  private static OffsetDateTime time(Object value) {
    return value instanceof Instant i ? i.atOffset(ZoneOffset.UTC) : (OffsetDateTime) value;
  }
}
