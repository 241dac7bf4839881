package dev.trainyard.workflow;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * Runs the steps of kinds that execute in the backend ({@code Execution.BACKEND}), because they act
 * on the catalog rather than on tensors (e.g. {@code promote} moves an alias). Hosted by the
 * backend on {@link TaskQueues#WORKFLOWS}; one attempt per call, like {@link StepActivities}.
 */
@ActivityInterface
public interface BackendStepActivities {
  @ActivityMethod(name = "ExecuteBackendStep")
  StepResult execute(StepTask task);
}
