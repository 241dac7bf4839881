package dev.trainyard.backend.steps;

import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;

/**
 * Runs the steps of one kind whose execution is {@code BACKEND}: a CDI bean, found by {@link
 * BackendSteps}. Failures are thrown as {@code FailureType.X.failure(...)}, like a worker's.
 */
public interface BackendStepRunner {
  StepKind kind();

  StepResult run(StepTask task);
}
