package dev.trainyard.pipeline;

import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.Planner;
import dev.trainyard.pipeline.spec.PipelineSpec;
import dev.trainyard.pipeline.validate.InvalidSpecException;
import dev.trainyard.pipeline.validate.ParamValues;
import dev.trainyard.pipeline.validate.Problems;
import dev.trainyard.pipeline.validate.SpecReader;
import java.util.Map;

/** Entry points of the pipeline language: the backend calls only these. */
public final class Pipelines {
  private Pipelines() {}

  /**
   * Parses and validates the structure (no param values needed). Throws InvalidSpecException with
   * every problem.
   */
  public static PipelineSpec parse(String yamlOrJson) {
    SpecReader.Result result = SpecReader.read(yamlOrJson);
    if (!result.problems().isEmpty()) {
      throw new InvalidSpecException(result.problems());
    }
    return result.spec();
  }

  /**
   * Every structural problem of a spec, without throwing: for editors that show them as the user
   * types.
   */
  public static SpecReader.Result check(String yamlOrJson) {
    return SpecReader.read(yamlOrJson);
  }

  /**
   * parse + check params + substitute + expand matrix + plan. Throws InvalidSpecException with
   * every problem (spec and params together).
   */
  public static ExecutionPlan compile(String yamlOrJson, Map<String, Object> params) {
    SpecReader.Result result = SpecReader.read(yamlOrJson);
    if (result.problems().isEmpty()) {
      return compile(result.spec(), params);
    }
    Problems problems = new Problems();
    problems.addAll(result.problems());
    if (result.spec() != null) {
      // Report parameter problems in the same round, against the parameters that did parse.
      ParamValues.resolve(result.spec().params(), params, problems);
    }
    throw new InvalidSpecException(problems.list());
  }

  public static ExecutionPlan compile(PipelineSpec spec, Map<String, Object> params) {
    Problems problems = new Problems();
    Map<String, Object> values = ParamValues.resolve(spec.params(), params, problems);
    problems.throwIfAny();
    ExecutionPlan plan = new Planner(spec, values, problems).plan();
    problems.throwIfAny();
    return plan;
  }
}
