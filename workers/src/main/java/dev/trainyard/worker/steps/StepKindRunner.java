package dev.trainyard.worker.steps;

import dev.trainyard.pipeline.kind.Output;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.workflow.StepTask;

/**
 * How a worker runs one step kind: as a step process ({@link ProcessStepKind}: {@code command}, the
 * trainer kinds) or inside the worker JVM ({@link InProcessStepKind}: merge and prune, which stream
 * tensors from memory-mapped files and need no interpreter). Either way the attempt gets the same
 * work dir, the same heartbeats and cancellation, and its {@code output/} is stored as one
 * artifact.
 */
public sealed interface StepKindRunner permits ProcessStepKind, InProcessStepKind {
  /** The definition this runs; its one output names and types what {@code output/} holds. */
  StepKind kind();

  /**
   * The output's name and type for one step (a {@code command} step may choose its type; an {@code
   * sft} step with {@code adapter:} produces {@code adapter}).
   */
  default Output output(StepTask task) {
    return kind().outputsIn(task.body() == null ? java.util.Map.of() : task.body()).get(0);
  }
}
