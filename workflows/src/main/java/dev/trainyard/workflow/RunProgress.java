package dev.trainyard.workflow;

import java.util.Map;

/**
 * Answer of the {@code progress} query: the run's status and each step's status and current
 * attempt.
 */
public record RunProgress(RunStatus status, Map<String, StepProgress> steps) {
  public record StepProgress(StepStatus status, int attempt) {}
}
