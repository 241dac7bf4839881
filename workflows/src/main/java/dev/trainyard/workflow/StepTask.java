package dev.trainyard.workflow;

import java.util.Map;

/**
 * What a worker needs to run one attempt of one step.
 *
 * @param body the planned step body; {@code ${{ inputs.NAME }}} tokens name keys of {@code inputs}
 * @param inputs resolved input artifacts by binding name
 */
public record StepTask(
    String runId,
    String stepId,
    String kind,
    int attempt,
    Map<String, Object> body,
    Map<String, ArtifactRef> inputs,
    int gpus,
    long timeoutSeconds) {}
