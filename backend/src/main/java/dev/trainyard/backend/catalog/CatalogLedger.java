package dev.trainyard.backend.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.lineage.LineageNode;
import dev.trainyard.backend.lineage.LineageRepository;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.InputUse;
import dev.trainyard.workflow.LedgerActivities;
import dev.trainyard.workflow.ManifestEntry;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.RunStatus;
import dev.trainyard.workflow.StepCacheHit;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.persistence.EntityManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ledger activities, writing the catalog. Each call is its own transaction and an upsert keyed
 * by (run, step, attempt), so Temporal may retry it freely. A plain {@code @Singleton} without
 * interceptors: Temporal registers the instance itself and must see its interface.
 */
@Singleton
public class CatalogLedger implements LedgerActivities {
  private final EntityManager em;
  private final ObjectMapper json;
  private final Event<RunSucceeded> succeeded;
  private final LineageRepository lineage;
  @Inject dev.trainyard.backend.openlineage.OpenLineageEmitter openLineage;

  /** Domain events, written in each change's own transaction (the outbox). */
  @Inject dev.trainyard.backend.events.DomainEvents events;

  /** Prometheus series: write latency per method, and each attempt's end. */
  @Inject dev.trainyard.backend.observability.RunMetrics metrics;

  /** Fired after a run's success is committed (retention policies apply then). */
  public record RunSucceeded(String runId) {}

  @Inject
  public CatalogLedger(
      EntityManager em,
      ObjectMapper json,
      Event<RunSucceeded> succeeded,
      LineageRepository lineage) {
    this.em = em;
    this.json = json;
    this.succeeded = succeeded;
    this.lineage = lineage;
  }

  @Override
  public void runStarted(String runId) {
    long t0 = System.nanoTime();
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              int updated =
                  em.createNativeQuery(
                          "UPDATE run SET status = 'RUNNING', started_at = COALESCE(started_at, now()) WHERE id = ?1")
                      .setParameter(1, runId)
                      .executeUpdate();
              if (updated == 0) {
                // The launching transaction may not have committed yet: fail so the local activity
                // retries.
                throw new IllegalStateException("run " + runId + " is not in the catalog yet");
              }
              events.runStarted(runId);
            });
    metrics.ledgerWrite("runStarted", t0);
  }

  @Override
  public void stepReused(String runId, String stepId) {
    QuarkusTransaction.requiringNew().run(() -> setStepStatus(runId, stepId, StepStatus.REUSED));
  }

  @Override
  public void attemptStarted(String runId, String stepId, int attempt, StepStatus status) {
    long t0 = System.nanoTime();
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              em.createNativeQuery(
                      "INSERT INTO step_attempt (run_id, step_id, attempt, status) VALUES (?1, ?2, ?3, ?4) "
                          + "ON CONFLICT (run_id, step_id, attempt) DO NOTHING")
                  .setParameter(1, runId)
                  .setParameter(2, stepId)
                  .setParameter(3, attempt)
                  .setParameter(4, status.name())
                  .executeUpdate();
              setStepStatus(runId, stepId, status);
            });
    metrics.ledgerWrite("attemptStarted", t0);
    openLineage.attemptStarted(runId, stepId, attempt);
  }

  @Override
  public StepCacheHit beginAttempt(
      String runId, String stepId, int attempt, String cacheKey, List<InputUse> inputs) {
    long t0 = System.nanoTime();
    StepCacheHit hit = beginAttemptTransaction(runId, stepId, attempt, cacheKey, inputs);
    metrics.ledgerWrite("beginAttempt", t0);
    openLineage.attemptBegun(runId, stepId, attempt, hit != null);
    return hit;
  }

  private StepCacheHit beginAttemptTransaction(
      String runId, String stepId, int attempt, String cacheKey, List<InputUse> inputs) {
    return QuarkusTransaction.requiringNew()
        .call(
            () -> {
              // A retried call finds its own row: answer what it recorded the first time.
              @SuppressWarnings("unchecked")
              List<Object[]> mine =
                  em.createNativeQuery(
                          "SELECT status, cache_source FROM step_attempt WHERE run_id = ?1 AND step_id = ?2 AND attempt = ?3")
                      .setParameter(1, runId)
                      .setParameter(2, stepId)
                      .setParameter(3, attempt)
                      .getResultList();
              if (!mine.isEmpty()) {
                return mine.get(0)[1] == null
                    ? null
                    : new StepCacheHit(outputsOf(runId, stepId, attempt), (String) mine.get(0)[1]);
              }
              @SuppressWarnings("unchecked")
              List<Object[]> sources =
                  em.createNativeQuery(
                          "SELECT sa.run_id, sa.step_id, sa.attempt FROM step_attempt sa JOIN run r ON r.id = sa.run_id "
                              + "WHERE sa.cache_key = ?1 AND sa.status = 'SUCCEEDED' "
                              + "AND r.team = (SELECT team FROM run WHERE id = ?2) "
                              + "AND NOT EXISTS (SELECT 1 FROM step_output so JOIN artifact a ON a.id = so.artifact_id "
                              + "WHERE so.run_id = sa.run_id AND so.step_id = sa.step_id AND so.attempt = sa.attempt "
                              + "AND a.deleted_at IS NOT NULL) "
                              + "ORDER BY sa.finished_at DESC LIMIT 1")
                      .setParameter(1, cacheKey)
                      .setParameter(2, runId)
                      .getResultList();
              if (sources.isEmpty()) {
                em.createNativeQuery(
                        "INSERT INTO step_attempt (run_id, step_id, attempt, status, cache_key) "
                            + "VALUES (?1, ?2, ?3, 'RUNNING', ?4)")
                    .setParameter(1, runId)
                    .setParameter(2, stepId)
                    .setParameter(3, attempt)
                    .setParameter(4, cacheKey)
                    .executeUpdate();
                setStepStatus(runId, stepId, StepStatus.RUNNING);
                return null;
              }
              Object[] source = sources.get(0);
              LineageNode sourceNode =
                  LineageNode.step(
                      (String) source[0], (String) source[1], ((Number) source[2]).intValue());
              String sourceId = sourceNode.id(); // <run>/<step>/<attempt>, as cache_source keeps it
              Map<String, ArtifactRef> outputs =
                  outputsOf(
                      (String) source[0], (String) source[1], ((Number) source[2]).intValue());
              // Share-locked until this attempt's output rows commit: retention, which locks a row
              // before
              // deleting it, then sees them (an unfinished run's outputs are kept) or this finds it
              // deleted.
              for (ArtifactRef ref : outputs.values()) {
                Object deletedAt =
                    em.createNativeQuery("SELECT deleted_at FROM artifact WHERE id = ?1 FOR SHARE")
                        .setParameter(1, ref.id())
                        .getSingleResult();
                if (deletedAt != null) {
                  em.createNativeQuery(
                          "INSERT INTO step_attempt (run_id, step_id, attempt, status, cache_key) "
                              + "VALUES (?1, ?2, ?3, 'RUNNING', ?4)")
                      .setParameter(1, runId)
                      .setParameter(2, stepId)
                      .setParameter(3, attempt)
                      .setParameter(4, cacheKey)
                      .executeUpdate();
                  setStepStatus(runId, stepId, StepStatus.RUNNING);
                  return null; // deleted meanwhile: run the step instead
                }
              }
              em.createNativeQuery(
                      "INSERT INTO step_attempt (run_id, step_id, attempt, status, worker, cache_key, cache_source, "
                          + "finished_at) VALUES (?1, ?2, ?3, 'SUCCEEDED', ?4, ?5, ?6, now())")
                  .setParameter(1, runId)
                  .setParameter(2, stepId)
                  .setParameter(3, attempt)
                  .setParameter(4, "cache hit of " + sourceId)
                  .setParameter(5, cacheKey)
                  .setParameter(6, sourceId)
                  .executeUpdate();
              LineageNode stepNode = LineageNode.step(runId, stepId, attempt);
              outputs.forEach(
                  (name, ref) -> {
                    em.createNativeQuery(
                            "INSERT INTO step_output (run_id, step_id, attempt, name, artifact_id) "
                                + "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING")
                        .setParameter(1, runId)
                        .setParameter(2, stepId)
                        .setParameter(3, attempt)
                        .setParameter(4, name)
                        .setParameter(5, ref.id())
                        .executeUpdate();
                    lineage.insertEdge(stepNode, LineageNode.artifact(ref.id()), "output:" + name);
                  });
              for (InputUse input : inputs) {
                lineage.insertEdge(
                    LineageNode.artifact(input.artifactId()), stepNode, input.role());
              }
              lineage.insertEdge(sourceNode, stepNode, "cache-hit");
              setStepStatus(runId, stepId, StepStatus.SUCCEEDED);
              events.stepEnded(runId, stepId, attempt);
              return new StepCacheHit(outputs, sourceId);
            });
  }

  private Map<String, ArtifactRef> outputsOf(String runId, String stepId, int attempt) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT so.name, a.id, a.uri FROM step_output so "
                    + "JOIN artifact a ON a.id = so.artifact_id WHERE so.run_id = ?1 AND so.step_id = ?2 AND so.attempt = ?3")
            .setParameter(1, runId)
            .setParameter(2, stepId)
            .setParameter(3, attempt)
            .getResultList();
    Map<String, ArtifactRef> outputs = new LinkedHashMap<>();
    rows.forEach(r -> outputs.put((String) r[0], new ArtifactRef((String) r[1], (String) r[2])));
    return outputs;
  }

  /**
   * Content-addressed ids are shared by design, but only by identical content: a row already
   * holding this id with other files (or, holding none, another type) (a dataset squatting a step's
   * predicted id, issue 11 M1) fails the write instead of silently owning the output. Not
   * retryable: retrying cannot help.
   */
  private void requireSameContent(ProducedArtifact artifact) {
    Object existingType =
        em.createNativeQuery("SELECT type FROM artifact WHERE id = ?1")
            .setParameter(1, artifact.id())
            .getSingleResult();
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT path, size_bytes, sha256 FROM artifact_file WHERE artifact_id = ?1")
            .setParameter(1, artifact.id())
            .getResultList();
    var existing = new java.util.HashSet<ManifestEntry>();
    rows.forEach(
        r ->
            existing.add(
                new ManifestEntry((String) r[0], ((Number) r[1]).longValue(), (String) r[2])));
    if (!existing.isEmpty() && existing.equals(new java.util.HashSet<>(artifact.files()))) {
      // The same files are the same artifact, however it was first recorded: a team that registered
      // the very files a step writes (the demo's generated data, say) must not fail that step.
      return;
    }
    if (!artifact.type().equals(existingType) || !existing.isEmpty()) {
      throw io.temporal.failure.ApplicationFailure.newNonRetryableFailure(
          "artifact " + artifact.id() + " is already in the catalog with other content",
          "ArtifactIdConflict");
    }
  }

  @Override
  public void attemptSucceeded(
      String runId, String stepId, int attempt, StepResult result, List<InputUse> inputs) {
    long t0 = System.nanoTime();
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              recordOutputs(runId, stepId, attempt, result, inputs, false);
              em.createNativeQuery(
                      "UPDATE step_attempt SET status = 'SUCCEEDED', finished_at = COALESCE(finished_at, now()), "
                          + "worker = ?4, gpu_ids = ?5, log_tail = ?6, metrics = CAST(?7 AS jsonb) "
                          + "WHERE run_id = ?1 AND step_id = ?2 AND attempt = ?3")
                  .setParameter(1, runId)
                  .setParameter(2, stepId)
                  .setParameter(3, attempt)
                  .setParameter(4, result.worker())
                  .setParameter(5, String.valueOf(result.gpuIds()))
                  .setParameter(6, result.logTail())
                  .setParameter(7, toJson(result.metrics()))
                  .executeUpdate();
              setStepStatus(runId, stepId, StepStatus.SUCCEEDED);
              events.stepEnded(runId, stepId, attempt);
            });
    metrics.ledgerWrite("attemptSucceeded", t0);
    metrics.attemptEnded(runId, stepId, attempt);
    openLineage.attemptCompleted(runId, stepId, attempt);
  }

  @Override
  public void attemptFailedWithOutputs(
      String runId,
      String stepId,
      int attempt,
      String error,
      StepResult result,
      List<InputUse> inputs) {
    long t0 = System.nanoTime();
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              recordOutputs(runId, stepId, attempt, result, inputs, true);
              em.createNativeQuery(
                      "UPDATE step_attempt SET status = 'FAILED', error = ?4, finished_at = COALESCE(finished_at, now()), "
                          + "worker = ?5, gpu_ids = ?6, log_tail = ?7, metrics = CAST(?8 AS jsonb) "
                          + "WHERE run_id = ?1 AND step_id = ?2 AND attempt = ?3")
                  .setParameter(1, runId)
                  .setParameter(2, stepId)
                  .setParameter(3, attempt)
                  .setParameter(4, error)
                  .setParameter(5, result.worker())
                  .setParameter(6, String.valueOf(result.gpuIds()))
                  .setParameter(7, result.logTail())
                  .setParameter(8, toJson(result.metrics()))
                  .executeUpdate();
              setStepStatus(runId, stepId, StepStatus.FAILED);
              events.stepEnded(runId, stepId, attempt);
            });
    metrics.ledgerWrite("attemptFailedWithOutputs", t0);
    metrics.attemptEnded(runId, stepId, attempt);
    openLineage.attemptFailed(runId, stepId, attempt);
  }

  /**
   * Artifacts, their files, step outputs and lineage edges of one attempt; {@code failed} marks a
   * failed attempt's.
   */
  private void recordOutputs(
      String runId,
      String stepId,
      int attempt,
      StepResult result,
      List<InputUse> inputs,
      boolean failed) {
    {
      LineageNode stepNode = LineageNode.step(runId, stepId, attempt);
      for (var output : result.outputs().entrySet()) {
        ProducedArtifact artifact = output.getValue();
        em.createNativeQuery(
                "INSERT INTO artifact (id, type, uri, size_bytes, run_id, step_id, attempt, output_name, created_by, team, "
                    + "failed) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, launched_by, team, ?9 FROM run WHERE id = ?5 "
                    // The same bytes stored again after retention deleted them: the tombstone comes
                    // back to life.
                    + "ON CONFLICT (id) DO UPDATE SET deleted_at = NULL, deleted_by = NULL, deletion_reason = NULL "
                    + "WHERE artifact.deleted_at IS NOT NULL")
            .setParameter(1, artifact.id())
            .setParameter(2, artifact.type())
            .setParameter(3, artifact.uri())
            .setParameter(4, artifact.sizeBytes())
            .setParameter(5, runId)
            .setParameter(6, stepId)
            .setParameter(7, attempt)
            .setParameter(8, output.getKey())
            .setParameter(9, failed)
            .executeUpdate();
        requireSameContent(artifact);
        for (ManifestEntry file : artifact.files()) {
          em.createNativeQuery(
                  "INSERT INTO artifact_file (artifact_id, path, size_bytes, sha256) VALUES (?1, ?2, ?3, ?4) "
                      + "ON CONFLICT DO NOTHING")
              .setParameter(1, artifact.id())
              .setParameter(2, file.path())
              .setParameter(3, file.sizeBytes())
              .setParameter(4, file.sha256())
              .executeUpdate();
        }
        em.createNativeQuery(
                "INSERT INTO step_output (run_id, step_id, attempt, name, artifact_id) VALUES (?1, ?2, ?3, ?4, ?5) "
                    + "ON CONFLICT DO NOTHING")
            .setParameter(1, runId)
            .setParameter(2, stepId)
            .setParameter(3, attempt)
            .setParameter(4, output.getKey())
            .setParameter(5, artifact.id())
            .executeUpdate();
        lineage.insertEdge(
            stepNode, LineageNode.artifact(artifact.id()), "output:" + output.getKey());
      }
      for (InputUse input : inputs) {
        lineage.insertEdge(LineageNode.artifact(input.artifactId()), stepNode, input.role());
      }
    }
  }

  @Override
  public void attemptApproved(String runId, String stepId, int attempt, String approvedBy) {
    long t0 = System.nanoTime();
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              em.createNativeQuery(
                      "UPDATE step_attempt SET status = 'SUCCEEDED', finished_at = COALESCE(finished_at, now()), "
                          + "worker = ?4 WHERE run_id = ?1 AND step_id = ?2 AND attempt = ?3")
                  .setParameter(1, runId)
                  .setParameter(2, stepId)
                  .setParameter(3, attempt)
                  .setParameter(4, "approved by " + approvedBy)
                  .executeUpdate();
              setStepStatus(runId, stepId, StepStatus.SUCCEEDED);
              events.stepEnded(runId, stepId, attempt);
            });
    metrics.ledgerWrite("attemptApproved", t0);
    metrics.attemptEnded(runId, stepId, attempt);
    openLineage.attemptCompleted(runId, stepId, attempt);
  }

  @Override
  public void attemptEnded(
      String runId, String stepId, int attempt, StepStatus status, String error) {
    long t0 = System.nanoTime();
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              em.createNativeQuery(
                      "UPDATE step_attempt SET status = ?4, error = ?5, finished_at = COALESCE(finished_at, now()) "
                          + "WHERE run_id = ?1 AND step_id = ?2 AND attempt = ?3")
                  .setParameter(1, runId)
                  .setParameter(2, stepId)
                  .setParameter(3, attempt)
                  .setParameter(4, status.name())
                  .setParameter(5, error)
                  .executeUpdate();
              setStepStatus(runId, stepId, status);
              events.stepEnded(runId, stepId, attempt);
            });
    metrics.ledgerWrite("attemptEnded", t0);
    metrics.attemptEnded(runId, stepId, attempt);
    openLineage.attemptEnded(runId, stepId, attempt, status);
  }

  @Override
  public void stepsNotRun(String runId, List<String> stepIds, StepStatus status) {
    QuarkusTransaction.requiringNew()
        .run(() -> stepIds.forEach(id -> setStepStatus(runId, id, status)));
  }

  @Override
  public void runFinished(String runId, RunStatus status, String error) {
    long t0 = System.nanoTime();
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              em.createNativeQuery(
                      "UPDATE run SET status = ?2, error = ?3, finished_at = now() WHERE id = ?1")
                  .setParameter(1, runId)
                  .setParameter(2, status.name())
                  .setParameter(3, error)
                  .executeUpdate();
              events.runEnded(runId);
            });
    metrics.ledgerWrite("runFinished", t0);
    if (status == RunStatus.SUCCEEDED) {
      succeeded.fireAsync(
          new RunSucceeded(runId)); // off the workflow's thread: the ledger stays fast
    }
  }

  private void setStepStatus(String runId, String stepId, StepStatus status) {
    em.createNativeQuery("UPDATE step SET status = ?3 WHERE run_id = ?1 AND step_id = ?2")
        .setParameter(1, runId)
        .setParameter(2, stepId)
        .setParameter(3, status.name())
        .executeUpdate();
  }

  private String toJson(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
