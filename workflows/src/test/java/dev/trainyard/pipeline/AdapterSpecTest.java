package dev.trainyard.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.pipeline.validate.InvalidSpecException;
import dev.trainyard.pipeline.validate.Problem;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * LoRA adapters in the pipeline language: {@code adapter:} on sft and dpo (defaults planned into
 * the body, the output then named {@code adapter}), evaluate's adapter, merge method lora, and
 * adapter parameters.
 */
class AdapterSpecTest {
  private static final String BASE = "a".repeat(64);
  private static final String CHATS = "b".repeat(64);
  private static final String LORA = "c".repeat(64);

  private static final String HEADER =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: lora
      params:
        base: {type: checkpoint}
        chats: {type: dataset}
        tuned: {type: adapter}
      steps:
      """;

  private static final String TUNE =
      """
        - id: tune
          kind: sft
          model: ${{ params.base }}
          data: ${{ params.chats }}
          adapter: {r: 4}
      """;

  private static final Map<String, Object> PARAMS =
      Map.of("base", BASE, "chats", CHATS, "tuned", LORA);

  private static final List<String> ALL_PROJECTIONS =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  private static List<String> parseProblems(String steps) {
    var e = catchThrowableOfType(InvalidSpecException.class, () -> Pipelines.parse(HEADER + steps));
    assertThat(e).as("expected the spec to be rejected").isNotNull();
    return e.problems().stream().map(Problem::toString).toList();
  }

  private static List<String> compileProblems(String steps) {
    var e =
        catchThrowableOfType(
            InvalidSpecException.class, () -> Pipelines.compile(HEADER + steps, PARAMS));
    assertThat(e).as("expected the launch to be rejected").isNotNull();
    return e.problems().stream().map(Problem::toString).toList();
  }

  private static PlannedStep planned(String steps, String id) {
    return Pipelines.compile(HEADER + steps, PARAMS).step(id).orElseThrow();
  }

  @Test
  void anAdapterStepGetsEveryAdapterDefaultInItsBodyAndProducesAnAdapter() {
    PlannedStep tune = planned(TUNE, "tune");
    assertThat(tune.body().get("adapter"))
        .isEqualTo(
            Map.of(
                "r",
                4,
                "type",
                "lora",
                "alpha",
                16,
                "dropout",
                0.0,
                "target_modules",
                ALL_PROJECTIONS));
    assertThat(StepKinds.SFT.outputsIn(tune.body()))
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.name()).isEqualTo("adapter");
              assertThat(o.type()).isEqualTo(ArtifactType.ADAPTER);
            });
  }

  @Test
  void aStepWithoutAdapterTrainsTheWholeModelAndItsBodyHasNoAdapter() {
    PlannedStep full = planned(TUNE.replace("    adapter: {r: 4}\n", ""), "tune");
    assertThat(full.body()).doesNotContainKey("adapter");
    assertThat(StepKinds.SFT.outputsIn(full.body()))
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.name()).isEqualTo("model");
              assertThat(o.type()).isEqualTo(ArtifactType.CHECKPOINT);
            });
  }

  @Test
  void anEmptyAdapterObjectIsLoraWithEveryDefault() {
    PlannedStep dpo =
        planned(
            """
              - id: prefer
                kind: dpo
                model: ${{ params.base }}
                data: ${{ params.chats }}
                adapter: {}
            """,
            "prefer");
    assertThat(dpo.body().get("adapter"))
        .isEqualTo(
            Map.of(
                "type",
                "lora",
                "r",
                8,
                "alpha",
                16,
                "dropout",
                0.0,
                "target_modules",
                ALL_PROJECTIONS));
    assertThat(StepKinds.DPO.outputsIn(dpo.body()).get(0).type()).isEqualTo(ArtifactType.ADAPTER);
  }

  @Test
  void theModelOutputOfAnAdapterStepIsRefusedNamingAdapter() {
    assertThat(
            parseProblems(
                TUNE
                    + """
              - id: eval
                kind: evaluate
                model: ${{ steps.tune.outputs.model }}
                data: ${{ params.chats }}
            """))
        .containsExactly(
            "steps[1].model: step 'tune' (kind sft) has no output 'model' (only without "
                + "`adapter`); it produces: adapter");
  }

  @Test
  void theAdapterOutputOfAFullTrainingStepIsRefusedNamingModel() {
    assertThat(
            parseProblems(
                TUNE.replace("    adapter: {r: 4}\n", "")
                    + """
              - id: eval
                kind: evaluate
                model: ${{ params.base }}
                adapter: ${{ steps.tune.outputs.adapter }}
                data: ${{ params.chats }}
            """))
        .containsExactly(
            "steps[1].adapter: step 'tune' (kind sft) has no output 'adapter' (only with "
                + "`adapter`); it produces: model");
  }

  @Test
  void badAdapterSettingsAreReportedWithTheirPaths() {
    assertThat(
            parseProblems(
                """
                  - id: tune
                    kind: sft
                    model: ${{ params.base }}
                    data: ${{ params.chats }}
                    adapter: {type: qlora, r: 0, alpha: -1, dropout: 1.0, target_modules: [], rank: 4}
                """))
        .containsExactly(
            "steps[0].adapter.type: must be one of lora",
            "steps[0].adapter.r: must be > 0",
            "steps[0].adapter.alpha: must be > 0",
            "steps[0].adapter.dropout: must be >= 0 and < 1",
            "steps[0].adapter.rank: unknown key; expected one of type, r, alpha, dropout, target_modules",
            "steps[0].adapter.target_modules: must name at least one module");
  }

  @Test
  void anAdapterIsNeverAcceptedWhereACheckpointIsNeeded() {
    assertThat(
            compileProblems(
                TUNE
                    + """
              - id: again
                kind: sft
                model: ${{ steps.tune.outputs.adapter }}
                data: ${{ params.chats }}
              - id: ship
                kind: promote
                model: ${{ params.tuned }}
                alias: candidate
            """))
        .containsExactly(
            "steps[1].model: expected checkpoint, but output 'adapter' of step 'tune' (sft) is adapter",
            "steps[2].model: expected checkpoint, but parameter 'tuned' (adapter) is adapter");
  }

  @Test
  void evaluateTakesABaseCheckpointPlusAnAdapterAndRefusesACheckpointAsTheAdapter() {
    PlannedStep eval =
        planned(
            TUNE
                + """
              - id: eval
                kind: evaluate
                model: ${{ params.base }}
                adapter: ${{ steps.tune.outputs.adapter }}
                data: ${{ params.chats }}
            """,
            "eval");
    assertThat(eval.body().get("adapter")).isEqualTo("${{ inputs.tune.adapter }}");
    assertThat(eval.body().get("model")).isEqualTo("${{ inputs.params.base }}");
    assertThat(
            compileProblems(
                """
                  - id: eval
                    kind: evaluate
                    model: ${{ params.base }}
                    adapter: ${{ params.base }}
                    data: ${{ params.chats }}
                """))
        .containsExactly(
            "steps[0].adapter: expected adapter, but parameter 'base' (checkpoint) is checkpoint");
  }

  @Test
  void loraMergeFoldsAdaptersIntoABaseAndItsOutputIsACheckpoint() {
    PlannedStep merge =
        planned(
            TUNE
                + """
              - id: fold
                kind: merge
                method: lora
                base: ${{ params.base }}
                models:
                  - {model: "${{ steps.tune.outputs.adapter }}", weight: 0.5}
                  - {model: "${{ params.tuned }}"}
              - id: ship
                kind: promote
                model: ${{ steps.fold.outputs.model }}
                alias: candidate
            """,
            "fold");
    assertThat(merge.inputs()).hasSize(3);
    assertThat(StepKinds.MERGE.outputsIn(merge.body()).get(0).type())
        .isEqualTo(ArtifactType.CHECKPOINT);
  }

  @Test
  void loraMergeNeedsABaseAndAdaptersOnlyAndRefusesTheKnobsItDoesNotUse() {
    assertThat(
            compileProblems(
                """
                  - id: fold
                    kind: merge
                    method: lora
                    models:
                      - {model: "${{ params.tuned }}", density: 0.5}
                    config: {t: 0.5}
                """))
        .containsExactly(
            "steps[0].base: lora needs the base checkpoint its adapters were trained on",
            "steps[0].config.t: lora does not use t; each adapter's update is scaled by its weight",
            "steps[0].models[0].density: lora does not sparsify; density applies to ties, dare, breadcrumbs");
    assertThat(
            compileProblems(
                TUNE
                    + """
              - id: fold
                kind: merge
                method: lora
                base: ${{ params.base }}
                models:
                  - {model: "${{ steps.tune.outputs.adapter }}"}
                  - {model: "${{ params.base }}"}
            """))
        .containsExactly(
            "steps[1].models[1].model: lora folds adapters into the base, but this is a checkpoint");
  }

  @Test
  void otherMergeMethodsRefuseAdaptersWithThePathOfEach() {
    assertThat(
            compileProblems(
                TUNE
                    + """
              - id: soup
                kind: merge
                method: task-arithmetic
                base: ${{ params.base }}
                models:
                  - {model: "${{ params.base }}"}
                  - {model: "${{ steps.tune.outputs.adapter }}"}
                  - {model: "${{ params.tuned }}"}
            """))
        .containsExactly(
            "steps[1].models[1].model: task-arithmetic merges checkpoints; fold an adapter into its base with method lora",
            "steps[1].models[2].model: task-arithmetic merges checkpoints; fold an adapter into its base with method lora");
  }

  @Test
  void adapterRulesOfMergeApplyWhenATemplateIsSavedNotOnlyAtLaunch() {
    assertThat(
            parseProblems(
                TUNE
                    + """
              - id: fold
                kind: merge
                method: lora
                base: ${{ params.base }}
                models:
                  - {model: "${{ params.base }}"}
              - id: soup
                kind: merge
                method: linear
                models:
                  - {model: "${{ steps.tune.outputs.adapter }}"}
                  - {model: "${{ params.tuned }}"}
            """))
        .containsExactly(
            "steps[1].models[0].model: lora folds adapters into the base, but this is a checkpoint",
            "steps[2].models[0].model: linear merges checkpoints; fold an adapter into its base with method lora",
            "steps[2].models[1].model: linear merges checkpoints; fold an adapter into its base with method lora");
  }
}
