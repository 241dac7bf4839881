package dev.trainyard.worker.steps;

/**
 * How a worker runs one step kind: as a step process ({@link ProcessStepKind}: {@code command}, the
 * trainer kinds) or inside the worker JVM ({@link InProcessStepKind}: merge and prune, which stream tensors
 * from memory-mapped files and need no interpreter). Either way the attempt gets the same work dir, the
 * same heartbeats and cancellation, and its {@code output/} is stored as one artifact.
 */
public sealed interface StepKindRunner permits ProcessStepKind, InProcessStepKind {
  /** The name of the one output the kind produces ({@code output}, {@code model}, {@code report}). */
  String outputName();

  /** The artifact type of that output ({@code files}, {@code checkpoint}, {@code eval-report}). */
  String outputType();

  /** The output's type for one step; a kind whose steps choose it ({@code command}) overrides this. */
  default String outputType(dev.trainyard.workflow.StepTask task) {
    return outputType();
  }
}
