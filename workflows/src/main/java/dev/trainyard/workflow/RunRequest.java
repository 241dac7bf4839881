package dev.trainyard.workflow;

import dev.trainyard.pipeline.plan.ExecutionPlan;
import java.util.Map;

/**
 * Input of {@link PipelineWorkflow}.
 *
 * @param runId the run's id, also the workflow id
 * @param plan what to execute
 * @param artifacts existing artifacts the plan's parameters bind, by artifact id (with their URIs)
 * @param reused steps completed by an earlier execution of this run (retry-from-failed): their
 *     outputs are reused and they are not executed again
 * @param previousAttempts attempts each step already had in earlier executions, so attempt numbers
 *     keep counting up across retries
 */
public record RunRequest(
    String runId,
    ExecutionPlan plan,
    Map<String, ArtifactRef> artifacts,
    Map<String, Map<String, ArtifactRef>> reused,
    Map<String, Integer> previousAttempts) {
  public RunRequest {
    artifacts = artifacts == null ? Map.of() : Map.copyOf(artifacts);
    reused = reused == null ? Map.of() : Map.copyOf(reused);
    previousAttempts = previousAttempts == null ? Map.of() : Map.copyOf(previousAttempts);
  }

  public static RunRequest fresh(
      String runId, ExecutionPlan plan, Map<String, ArtifactRef> artifacts) {
    return new RunRequest(runId, plan, artifacts, Map.of(), Map.of());
  }
}
