package dev.trainyard.pipeline.validate;

import static dev.trainyard.pipeline.validate.SpecFields.string;

import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.spec.JsonTrees;
import dev.trainyard.pipeline.spec.ParamSpec;
import dev.trainyard.pipeline.spec.PipelineSpec;
import dev.trainyard.pipeline.spec.StepSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads spec text (YAML or JSON) into a {@link PipelineSpec}, collecting every structural problem
 * with its path. The tree is walked by hand, not data-bound, so that each problem knows where it
 * is. The jobs are split: {@link SpecText} parses the text, {@link ParamReader} and {@link
 * StepReader} build the records, {@link ExpansionChecker} and {@link ReferenceChecker} check across
 * steps; this class reads the top level and runs them in order.
 */
public final class SpecReader {
  private SpecReader() {}

  public static final String API_VERSION = "trainyard/v1";
  public static final String PIPELINE_KIND = "Pipeline";

  private static final List<String> TOP_LEVEL_FIELDS =
      List.of("apiVersion", "kind", "name", "description", "params", "steps");

  /** Most steps a plan may hold after matrix expansion: a few matrix steps each at the limit. */
  public static final int MAX_PLANNED_STEPS = 4 * StepSpec.MAX_COMBINATIONS;

  /**
   * What reading found: the spec built from every part that was well-formed (complete only when
   * {@code problems} is empty; null when the text is not even a YAML mapping) and the problems.
   */
  public record Result(PipelineSpec spec, List<Problem> problems) {}

  public static Result read(String text) {
    Problems problems = new Problems();
    Map<?, ?> document = SpecText.parse(text, problems);
    if (document == null) {
      return new Result(null, problems.list());
    }
    return new Result(readDocument(document, text, problems), problems.list());
  }

  private static PipelineSpec readDocument(Map<?, ?> document, String text, Problems problems) {
    for (Object key : document.keySet()) {
      if (!TOP_LEVEL_FIELDS.contains(String.valueOf(key))) {
        problems.add(
            String.valueOf(key),
            "unknown field; expected one of " + String.join(", ", TOP_LEVEL_FIELDS));
      }
    }
    expectConstant(document, "apiVersion", API_VERSION, problems);
    expectConstant(document, "kind", PIPELINE_KIND, problems);
    String name = string(document, "name", "name", true, problems);
    if (name != null && !name.matches(StepKinds.ID_PATTERN)) {
      problems.add("name", "must match " + StepKinds.ID_PATTERN);
    }
    String description = string(document, "description", "description", false, problems);
    List<ParamSpec> params = ParamReader.read(document.get("params"), problems);
    Map<String, ParamSpec> paramsByName = new LinkedHashMap<>();
    params.forEach(p -> paramsByName.put(p.name(), p));
    List<StepSpec> steps = StepReader.read(document, paramsByName, problems);
    ExpansionChecker.check(steps, problems);
    ReferenceChecker.check(steps, paramsByName, problems);
    return new PipelineSpec(name, description, params, steps, text);
  }

  private static void expectConstant(
      Map<?, ?> document, String key, String expected, Problems problems) {
    Object value = document.get(key);
    if (value == null) {
      problems.add(key, "required");
    } else if (!expected.equals(value)) {
      problems.add(key, "expected " + expected + ", got " + JsonTrees.describe(value));
    }
  }
}
