package dev.trainyard.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trainyard.pipeline.plan.InputBinding;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.pipeline.validate.InvalidSpecException;
import dev.trainyard.pipeline.validate.Problem;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A training step's data as a list of weighted sources: validated, planned and linked as inputs.
 */
class MixtureSpecTest {
  private static final String WEB = "a".repeat(64);
  private static final String CODE = "b".repeat(64);
  private static final String MATH = "c".repeat(64);
  private static final String BASE = "d".repeat(64);

  private static final String HEADER =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: mix
      params:
        base: {type: checkpoint}
        web: {type: dataset}
        code: {type: dataset}
        math: {type: dataset}
      steps:
      """;

  private static final Map<String, Object> PARAMS =
      Map.of("base", BASE, "web", WEB, "code", CODE, "math", MATH);

  private static String token(String name) {
    return "${{ inputs." + name + " }}";
  }

  private static List<String> problems(String steps) {
    var e =
        catchThrowableOfType(
            InvalidSpecException.class, () -> Pipelines.compile(HEADER + steps, PARAMS));
    assertThat(e).as("expected the spec to be rejected").isNotNull();
    return e.problems().stream().map(Problem::toString).toList();
  }

  @Test
  void eachSourceOfAMixtureIsAnInputOfTheStepWithItsDataEdgeAndItsDefaults() {
    PlannedStep step =
        Pipelines.compile(
                HEADER
                    + """
          - id: cpt
            kind: continual-pretrain
            model: ${{ params.base }}
            data:
              - {dataset: "${{ params.web }}", weight: 0.6}
              - {dataset: "${{ params.code }}", weight: 0.3, max_epochs: 2}
              - {dataset: "${{ params.web }}", weight: 0.1, subset: eval, name: web-eval}
            config: {replay: {dataset: "${{ params.math }}", ratio: 0.2}}
        """,
                PARAMS)
            .step("cpt")
            .orElseThrow();
    assertThat(step.body().get("data"))
        .isEqualTo(
            List.of(
                Map.of("dataset", token("params.web"), "weight", 0.6),
                Map.of("dataset", token("params.code"), "weight", 0.3, "max_epochs", 2),
                Map.of(
                    "dataset",
                    token("params.web"),
                    "weight",
                    0.1,
                    "subset",
                    "eval",
                    "name",
                    "web-eval")));
    assertThat(step.inputs())
        .containsExactlyInAnyOrder(
            InputBinding.ofArtifact("params.base", "input:model", BASE),
            InputBinding.ofArtifact("params.web", "input:data", WEB),
            InputBinding.ofArtifact("params.code", "input:data", CODE),
            InputBinding.ofArtifact("params.math", "input:config", MATH));
  }

  @Test
  void aSourceWithoutAWeightWeighsOne() {
    PlannedStep step =
        Pipelines.compile(
                HEADER
                    + """
          - id: sft
            kind: sft
            model: ${{ params.base }}
            data: [{dataset: "${{ params.web }}"}, {dataset: "${{ params.code }}", weight: 3}]
        """,
                PARAMS)
            .step("sft")
            .orElseThrow();
    assertThat(step.body().get("data"))
        .isEqualTo(
            List.of(
                Map.of("dataset", token("params.web"), "weight", 1.0),
                Map.of("dataset", token("params.code"), "weight", 3)));
  }

  @Test
  void badSourcesAreReportedWithTheirPaths() {
    assertThat(
            problems(
                """
          - id: dpo
            kind: dpo
            model: ${{ params.base }}
            data:
              - {dataset: "${{ params.web }}", weight: 0}
              - {dataset: "${{ params.code }}", weight: -1, epochs: 2}
              - {weight: 1, name: twice}
              - {dataset: "${{ params.web }}", name: twice, max_epochs: 0}
              - "${{ params.math }}"
            config: {subset: x}
        """))
        .containsExactlyInAnyOrder(
            "steps[0].data[0].weight: must be > 0",
            "steps[0].data[1].weight: must be > 0",
            "steps[0].data[1].epochs: unknown key; expected one of dataset, weight, subset, max_epochs, name",
            "steps[0].data[2].dataset: required",
            "steps[0].data[3].max_epochs: must be > 0",
            "steps[0].data[3].name: 'twice' names an earlier source too",
            "steps[0].data[4]: expected a source {dataset, weight, subset, max_epochs}, got \"${{ params.math }}\"",
            "steps[0].config.subset: with a list of sources, give each source its own subset instead");
  }

  @Test
  void aCheckpointIsNeverASourceOfData() {
    assertThat(
            problems(
                """
          - id: sft
            kind: sft
            model: ${{ params.base }}
            data: [{dataset: "${{ params.web }}"}, {dataset: "${{ params.base }}"}]
        """))
        .containsExactly(
            "steps[0].data[1].dataset: expected dataset or files or tokens, but parameter 'base' (checkpoint) is checkpoint");
  }

  @Test
  void aMixtureHasAtMostSixteenSources() {
    String source = "      - {dataset: \"${{ params.web }}\"}\n";
    assertThat(
            problems(
                """
          - id: pre
            kind: pretrain
            data:
        """
                    + source.repeat(17)))
        .containsExactly("steps[0].data: a mixture has 1 to 16 sources, got 17");
    assertThat(problems("  - {id: pre, kind: pretrain, data: []}\n"))
        .containsExactly("steps[0].data: expected an artifact reference or at least one source");
  }
}
