package dev.trainyard.pipeline.plan;

import java.util.List;
import java.util.Optional;

/**
 * A validated pipeline with parameters substituted and matrix fan-out expanded: what the workflow
 * executes. Steps are listed in a topological order; {@link PlannedStep#needs()} gives the edges.
 */
public record ExecutionPlan(String pipeline, List<PlannedStep> steps) {
  public ExecutionPlan {
    steps = List.copyOf(steps);
  }

  public Optional<PlannedStep> step(String id) {
    return steps.stream().filter(s -> s.id().equals(id)).findFirst();
  }
}
