package dev.trainyard.workflow;

import io.temporal.activity.ActivityInterface;
import java.util.List;

/**
 * Records what a run does in the catalog. Implemented by the backend and run as local activities of
 * the workflow worker (the backend hosts both), so recording costs no extra server round trip.
 * Every method is idempotent: keyed by (run, step, attempt), a retried call never duplicates a row.
 */
@ActivityInterface(namePrefix = "Ledger")
public interface LedgerActivities {
  void runStarted(String runId);

  /** A step completed in an earlier execution of the run; its outputs are reused. */
  void stepReused(String runId, String stepId);

  /** An attempt began; {@code status} is RUNNING, or WAITING_APPROVAL for approval steps. */
  void attemptStarted(String runId, String stepId, int attempt, StepStatus status);

  /**
   * Begins an attempt of a cacheable step. If a completed attempt with the same {@code cacheKey}
   * exists (same team), this attempt is recorded as a cache hit — succeeded, with that attempt's
   * outputs and a {@code cache-hit} lineage edge — and the hit is returned; otherwise the attempt
   * is recorded as RUNNING with its key and null is returned.
   */
  StepCacheHit beginAttempt(
      String runId, String stepId, int attempt, String cacheKey, List<InputUse> inputs);

  /**
   * An attempt succeeded: records its outputs as artifacts and the lineage edges from its inputs.
   */
  void attemptSucceeded(
      String runId, String stepId, int attempt, StepResult result, List<InputUse> inputs);

  /** An approval step's waiting attempt was approved by {@code approvedBy}; the step succeeds. */
  void attemptApproved(String runId, String stepId, int attempt, String approvedBy);

  /**
   * An attempt failed but stored its output first (a failed gate's report): the outputs are
   * recorded as artifacts marked failed, with lineage from the inputs and the attempt's metrics;
   * the attempt is FAILED.
   */
  void attemptFailedWithOutputs(
      String runId,
      String stepId,
      int attempt,
      String error,
      StepResult result,
      List<InputUse> inputs);

  /** An attempt ended FAILED or CANCELLED. */
  void attemptEnded(String runId, String stepId, int attempt, StepStatus status, String error);

  /** Steps that never started (dependency failed, or run cancelled) get {@code status}. */
  void stepsNotRun(String runId, List<String> stepIds, StepStatus status);

  void runFinished(String runId, RunStatus status, String error);
}
