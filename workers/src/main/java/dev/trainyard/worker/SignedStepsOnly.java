package dev.trainyard.worker;

import dev.trainyard.workflow.FailureType;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import dev.trainyard.workflow.trust.TaskVerifier;
import java.util.logging.Logger;

/**
 * What a worker registers with Temporal: a step runs only if the backend signed it. Checked before
 * the work dir, the GPUs or any process, so a task forged by someone with Temporal access (or by
 * another worker, which holds no private key) starts nothing.
 */
final class SignedStepsOnly implements StepActivities {
  private static final Logger LOG = Logger.getLogger(SignedStepsOnly.class.getName());

  private final StepActivities steps;
  private final TaskVerifier verifier;

  SignedStepsOnly(StepActivities steps, TaskVerifier verifier) {
    this.steps = steps;
    this.verifier = verifier;
  }

  @Override
  public StepResult execute(StepTask task) {
    var refusal = verifier.refusal(task);
    if (refusal.isPresent()) {
      LOG.warning(
          "refused step '" + task.stepId() + "' of run " + task.runId() + ": " + refusal.get());
      throw FailureType.UNSIGNED_STEP.failure(
          "step '" + task.stepId() + "' refused by the worker: " + refusal.get());
    }
    return steps.execute(task);
  }
}
