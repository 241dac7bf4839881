package dev.trainyard.workflow;

import dev.trainyard.workflow.trust.StepGrant;
import java.util.Map;

/**
 * What a worker needs to run one attempt of one step.
 *
 * @param body the planned step body; {@code ${{ inputs.NAME }}} tokens name keys of {@code inputs}
 * @param inputs resolved input artifacts by binding name
 * @param grant the backend's signature over the resolved step; workers run nothing without a valid
 *     one
 */
public record StepTask(
    String runId,
    String stepId,
    String kind,
    int attempt,
    Map<String, Object> body,
    Map<String, ArtifactRef> inputs,
    int gpus,
    long timeoutSeconds,
    StepGrant grant) {
  /** A task not yet granted (what the workflow asks the backend to sign). */
  public StepTask(
      String runId,
      String stepId,
      String kind,
      int attempt,
      Map<String, Object> body,
      Map<String, ArtifactRef> inputs,
      int gpus,
      long timeoutSeconds) {
    this(runId, stepId, kind, attempt, body, inputs, gpus, timeoutSeconds, null);
  }

  public StepTask withGrant(StepGrant grant) {
    return new StepTask(runId, stepId, kind, attempt, body, inputs, gpus, timeoutSeconds, grant);
  }
}
