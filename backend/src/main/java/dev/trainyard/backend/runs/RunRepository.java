package dev.trainyard.backend.runs;

import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.InputBinding;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.RunStatus;
import dev.trainyard.workflow.StepStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.TypedQuery;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The SQL of the run aggregate: a run, its steps and attempts, and the stored artifacts they read
 * ({@code run_input}). Callers bring the transaction.
 */
@ApplicationScoped
public class RunRepository {
  @Inject EntityManager em;

  /**
   * The runs list's filters, already validated; null means no condition. Every condition is an
   * equality, a range or a prefix, so each has an index (V1, V2, V5).
   *
   * @param createdFrom inclusive
   * @param createdTo exclusive
   * @param prefix a prefix of the run id, template name or launcher, any case
   * @param teams the teams the caller sees; null for all (admins)
   * @param afterCreatedAt with {@code afterId}, the keyset cursor: rows after it, newest first
   */
  public record RunFilter(
      RunStatus status,
      String template,
      String team,
      String launchedBy,
      OffsetDateTime createdFrom,
      OffsetDateTime createdTo,
      String prefix,
      Set<String> teams,
      OffsetDateTime afterCreatedAt,
      String afterId) {}

  /** The columns of a run the list shows. */
  public record RunSummaryRow(
      String id,
      String templateName,
      int templateVersion,
      RunStatus status,
      OffsetDateTime createdAt,
      OffsetDateTime startedAt,
      OffsetDateTime finishedAt,
      String launchedBy) {}

  /** At most {@code limit} runs matching the filter, newest first. */
  public List<RunSummaryRow> summaries(RunFilter f, int limit) {
    StringBuilder where = new StringBuilder("1 = 1");
    Map<String, Object> params = new HashMap<>();
    if (f.status() != null) {
      where.append(" and status = :status");
      params.put("status", f.status());
    }
    equal(where, params, "templateName", f.template());
    equal(where, params, "team", f.team());
    equal(where, params, "launchedBy", f.launchedBy());
    if (f.createdFrom() != null) {
      where.append(" and createdAt >= :createdFrom");
      params.put("createdFrom", f.createdFrom());
    }
    if (f.createdTo() != null) {
      where.append(" and createdAt < :createdTo");
      params.put("createdTo", f.createdTo());
    }
    if (f.prefix() != null) {
      // Prefixes, not substrings, so the planner can use the text_pattern_ops indexes of V5; run
      // ids are lower case already, so the plain id index serves them.
      where.append(
          " and (id like :q escape '!' or lower(templateName) like :q escape '!'"
              + " or lower(launchedBy) like :q escape '!')");
      params.put(
          "q",
          f.prefix()
                  .toLowerCase(Locale.ROOT)
                  .replace("!", "!!")
                  .replace("%", "!%")
                  .replace("_", "!_")
              + "%");
    }
    if (f.teams() != null) {
      where.append(" and team in :teams");
      params.put("teams", f.teams());
    }
    if (f.afterCreatedAt() != null) {
      where.append(" and (createdAt < :cAt or (createdAt = :cAt and id < :cId))");
      params.put("cAt", f.afterCreatedAt());
      params.put("cId", f.afterId());
    }
    // Only the summary's columns: loading entities would parse every run's params and plan (JSONB).
    TypedQuery<Object[]> query =
        em.createQuery(
            "select id, templateName, templateVersion, status, createdAt, startedAt,"
                + " finishedAt, launchedBy from RunEntity where "
                + where
                + " order by createdAt desc, id desc",
            Object[].class);
    params.forEach(query::setParameter);
    return query.setMaxResults(limit).getResultList().stream()
        .map(
            r ->
                new RunSummaryRow(
                    (String) r[0],
                    (String) r[1],
                    (Integer) r[2],
                    (RunStatus) r[3],
                    (OffsetDateTime) r[4],
                    (OffsetDateTime) r[5],
                    (OffsetDateTime) r[6],
                    (String) r[7]))
        .toList();
  }

  private static void equal(
      StringBuilder where, Map<String, Object> params, String field, String value) {
    if (value != null) {
      where.append(" and ").append(field).append(" = :").append(field);
      params.put(field, value);
    }
  }

  public Optional<RunEntity> byIdempotencyKey(String key) {
    return RunEntity.find("idempotencyKey", key).firstResultOptional();
  }

  /**
   * Records the stored artifacts each step of the plan reads (its parameter-bound inputs), so
   * retention finds what an unfinished run will read without searching its plan.
   */
  public void insertInputs(String runId, ExecutionPlan plan) {
    for (PlannedStep step : plan.steps()) {
      for (InputBinding binding : step.inputs()) {
        if (binding.fromStepOutput()) {
          continue; // an earlier step's output: step_output records it when it is written
        }
        em.createNativeQuery(
                "INSERT INTO run_input (run_id, step_id, name, role, artifact_id) "
                    + "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING")
            .setParameter(1, runId)
            .setParameter(2, step.id())
            .setParameter(3, binding.name())
            .setParameter(4, binding.role())
            .setParameter(5, binding.artifactId())
            .executeUpdate();
      }
    }
  }

  /** Removes a run whose workflow never started, with its steps and inputs. */
  public void deleteUnstarted(String runId) {
    for (String table : new String[] {"run_input", "step"}) {
      em.createNativeQuery("DELETE FROM " + table + " WHERE run_id = ?1")
          .setParameter(1, runId)
          .executeUpdate();
    }
    em.createNativeQuery("DELETE FROM run WHERE id = ?1").setParameter(1, runId).executeUpdate();
  }

  /**
   * Share-locks an input artifact's row (until the caller's transaction ends) and says whether
   * retention deleted it: retention takes the row lock before deleting, so from here on it sees the
   * caller's rows.
   */
  public boolean deletedUnderShareLock(String artifactId) {
    @SuppressWarnings("unchecked")
    List<Object> deletedAt =
        em.createNativeQuery("SELECT deleted_at FROM artifact WHERE id = ?1 FOR SHARE")
            .setParameter(1, artifactId)
            .getResultList();
    return !deletedAt.isEmpty() && deletedAt.get(0) != null;
  }

  /** Outputs of each step's latest successful attempt, for steps that are done. */
  public Map<String, Map<String, ArtifactRef>> completedOutputs(String runId) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT so.step_id, so.name, a.id, a.uri FROM step_output so "
                    + "JOIN step_attempt sa ON sa.run_id = so.run_id AND sa.step_id = so.step_id AND sa.attempt = so.attempt "
                    + "JOIN step s ON s.run_id = so.run_id AND s.step_id = so.step_id "
                    + "JOIN artifact a ON a.id = so.artifact_id "
                    + "WHERE so.run_id = ?1 AND sa.status = 'SUCCEEDED' AND s.status IN ('SUCCEEDED', 'REUSED') "
                    + "ORDER BY so.attempt")
            .setParameter(1, runId)
            .getResultList();
    Map<String, Map<String, ArtifactRef>> outputs = new LinkedHashMap<>();
    for (Object[] row : rows) {
      outputs
          .computeIfAbsent((String) row[0], k -> new LinkedHashMap<>())
          .put((String) row[1], new ArtifactRef((String) row[2], (String) row[3]));
    }
    return outputs;
  }

  /** The newest attempt of the step that waits for approval, if one does. */
  public Optional<Integer> attemptWaitingForApproval(String runId, String stepId) {
    Number waiting =
        (Number)
            em.createNativeQuery(
                    "SELECT max(attempt) FROM step_attempt WHERE run_id = ?1 "
                        + "AND step_id = ?2 AND status = 'WAITING_APPROVAL'")
                .setParameter(1, runId)
                .setParameter(2, stepId)
                .getSingleResult();
    return Optional.ofNullable(waiting).map(Number::intValue);
  }

  /** Steps of the run with an output whose files retention deleted. */
  public List<String> stepsWithDeletedOutputs(String runId) {
    @SuppressWarnings("unchecked")
    List<String> steps =
        em.createNativeQuery(
                "SELECT DISTINCT so.step_id FROM step_output so "
                    + "JOIN artifact a ON a.id = so.artifact_id WHERE so.run_id = ?1 AND a.deleted_at IS NOT NULL")
            .setParameter(1, runId)
            .getResultList();
    return steps;
  }

  /**
   * A retry's new execution: the run PENDING again, and every step PENDING that is not done or
   * whose outputs retention deleted.
   */
  public void resetForRetry(String runId) {
    em.createNativeQuery(
            "UPDATE run SET status = 'PENDING', error = NULL, finished_at = NULL, "
                + "executions = executions + 1 WHERE id = ?1")
        .setParameter(1, runId)
        .executeUpdate();
    em.createNativeQuery(
            "UPDATE step SET status = 'PENDING' WHERE run_id = ?1 AND (status NOT IN ('SUCCEEDED', 'REUSED') "
                + "OR step_id IN (SELECT so.step_id FROM step_output so JOIN artifact a ON a.id = so.artifact_id "
                + "WHERE so.run_id = ?1 AND a.deleted_at IS NOT NULL))")
        .setParameter(1, runId)
        .executeUpdate();
  }

  /**
   * Marks a run whose execution no longer exists as ended, with its unfinished steps and attempts.
   */
  public void markLost(String runId, RunStatus status, String error) {
    StepStatus stepStatus =
        status == RunStatus.CANCELLED ? StepStatus.CANCELLED : StepStatus.FAILED;
    em.createNativeQuery(
            "UPDATE step_attempt SET status = ?2, error = ?3, finished_at = now() "
                + "WHERE run_id = ?1 AND status IN ('RUNNING', 'WAITING_APPROVAL')")
        .setParameter(1, runId)
        .setParameter(2, stepStatus.name())
        .setParameter(3, error)
        .executeUpdate();
    em.createNativeQuery(
            "UPDATE step SET status = CASE WHEN status = 'PENDING' THEN ?3 ELSE ?2 END "
                + "WHERE run_id = ?1 AND status IN ('PENDING', 'RUNNING', 'WAITING_APPROVAL')")
        .setParameter(1, runId)
        .setParameter(2, stepStatus.name())
        .setParameter(
            3, (status == RunStatus.CANCELLED ? StepStatus.CANCELLED : StepStatus.PENDING).name())
        .executeUpdate();
    em.createNativeQuery(
            "UPDATE run SET status = ?2, error = ?3, finished_at = now() WHERE id = ?1")
        .setParameter(1, runId)
        .setParameter(2, status.name())
        .setParameter(3, error)
        .executeUpdate();
  }

  /**
   * Local mode's start: every run in flight lost its execution with the embedded service. Marks
   * them INTERRUPTED, their running or waiting attempts and steps FAILED; answers their ids, oldest
   * first.
   */
  @SuppressWarnings("unchecked")
  public List<String> markInFlightInterrupted(String reason) {
    em.createNativeQuery(
            "UPDATE step_attempt SET status = 'FAILED', error = ?1, finished_at = now() "
                + "WHERE status IN ('RUNNING', 'WAITING_APPROVAL') AND run_id IN "
                + "(SELECT id FROM run WHERE status IN ('PENDING', 'RUNNING'))")
        .setParameter(1, reason)
        .executeUpdate();
    em.createNativeQuery(
            "UPDATE step SET status = 'FAILED' WHERE status IN ('RUNNING', 'WAITING_APPROVAL') "
                + "AND run_id IN (SELECT id FROM run WHERE status IN ('PENDING', 'RUNNING'))")
        .executeUpdate();
    List<Object[]> rows =
        em.createNativeQuery(
                "UPDATE run SET status = 'INTERRUPTED', error = ?1, finished_at = now() "
                    + "WHERE status IN ('PENDING', 'RUNNING') RETURNING id, created_at")
            .setParameter(1, reason)
            .getResultList();
    return rows.stream()
        .sorted(java.util.Comparator.comparing(r -> String.valueOf(r[1])))
        .map(r -> (String) r[0])
        .toList();
  }

  /**
   * What the trust gate checks a workflow against: the run's status, its plan's sha256, and its
   * template version's approval.
   */
  public record GateRow(
      String status,
      String planDigest,
      String templateName,
      int templateVersion,
      String templateApprovedBy) {}

  /**
   * The run's row share-locked until the caller's transaction ends: FOR SHARE waits for a
   * transaction that is changing it (a retry marks the run PENDING and starts its workflow before
   * it commits) and then reads what it committed.
   */
  public Optional<GateRow> lockForGate(String runId) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT r.status, encode(sha256(convert_to(CAST(r.plan AS text), 'UTF8')), 'hex'),"
                    + " r.template_name, r.template_version, tv.approved_by FROM run r"
                    + " LEFT JOIN template_version tv"
                    + " ON tv.template_name = r.template_name AND tv.version = r.template_version"
                    + " WHERE r.id = ?1 FOR SHARE OF r")
            .setParameter(1, runId)
            .getResultList();
    return rows.stream()
        .findFirst()
        .map(
            row ->
                new GateRow(
                    (String) row[0],
                    (String) row[1],
                    (String) row[2],
                    ((Number) row[3]).intValue(),
                    (String) row[4]));
  }

  /** The run's plan as the stored JSON text (the text {@link GateRow#planDigest} hashes). */
  public Optional<String> planText(String runId) {
    @SuppressWarnings("unchecked")
    List<String> texts =
        em.createNativeQuery("SELECT CAST(plan AS text) FROM run WHERE id = ?1")
            .setParameter(1, runId)
            .getResultList();
    return texts.stream().findFirst();
  }

  /** Where a stored artifact's files are. */
  public Optional<String> artifactUri(String artifactId) {
    @SuppressWarnings("unchecked")
    List<String> uris =
        em.createNativeQuery("SELECT uri FROM artifact WHERE id = ?1")
            .setParameter(1, artifactId)
            .getResultList();
    return uris.stream().findFirst();
  }

  /** The URIs recorded for one output of a step when it is this artifact (none if it is not). */
  public List<String> outputUris(String runId, String stepId, String output, String artifactId) {
    @SuppressWarnings("unchecked")
    List<String> uris =
        em.createNativeQuery(
                "SELECT a.uri FROM step_output so JOIN artifact a ON a.id = so.artifact_id "
                    + "WHERE so.run_id = ?1 AND so.step_id = ?2 AND so.name = ?3 AND so.artifact_id = ?4")
            .setParameter(1, runId)
            .setParameter(2, stepId)
            .setParameter(3, output)
            .setParameter(4, artifactId)
            .getResultList();
    return uris;
  }

  /** A step's status as recorded; empty when the run has no such step. */
  public Optional<String> stepStatus(String runId, String stepId) {
    @SuppressWarnings("unchecked")
    List<String> statuses =
        em.createNativeQuery("SELECT status FROM step WHERE run_id = ?1 AND step_id = ?2")
            .setParameter(1, runId)
            .setParameter(2, stepId)
            .getResultList();
    return statuses.stream().findFirst();
  }

  /** Each step's highest recorded attempt number. */
  public Map<String, Integer> latestAttempts(String runId) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT step_id, max(attempt) FROM step_attempt WHERE run_id = ?1 GROUP BY step_id")
            .setParameter(1, runId)
            .getResultList();
    Map<String, Integer> attempts = new HashMap<>();
    rows.forEach(r -> attempts.put((String) r[0], ((Number) r[1]).intValue()));
    return attempts;
  }
}
