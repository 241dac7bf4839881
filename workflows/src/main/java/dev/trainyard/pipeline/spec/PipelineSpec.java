package dev.trainyard.pipeline.spec;

import java.util.List;
import java.util.Optional;

/**
 * A structurally valid pipeline spec: what {@code Pipelines.parse} returns.
 *
 * @param source the text it was parsed from, kept so a run can record exactly what was launched
 */
public record PipelineSpec(
    String name, String description, List<ParamSpec> params, List<StepSpec> steps, String source) {
  public PipelineSpec {
    params = List.copyOf(params);
    steps = List.copyOf(steps);
  }

  public Optional<ParamSpec> param(String name) {
    return params.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  public Optional<StepSpec> step(String id) {
    return steps.stream().filter(s -> id.equals(s.id())).findFirst();
  }
}
