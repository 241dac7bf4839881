package dev.trainyard.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.InputBinding;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.pipeline.validate.InvalidSpecException;
import dev.trainyard.pipeline.validate.Problem;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Fan-out that other steps follow, fan-in with {@code [*]}, select-best and relative gates: what
 * the planner makes of them, and every refusal with its path.
 */
class FanOutSpecTest {
  private static final String BASE = "b".repeat(64);
  private static final String DATA = "d".repeat(64);
  private static final String EVALSET = "e".repeat(64);

  private static final String HEADER =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: fan
      params:
        base: {type: checkpoint}
        data: {type: dataset}
        evalset: {type: dataset}
      steps:
      """;

  private static final Map<String, Object> PARAMS =
      Map.of("base", BASE, "data", DATA, "evalset", EVALSET);

  /** The checkpoint-soup recipe's shape: seeds fan out, a soup fans in, a relative gate. */
  static final String SOUP =
      """
        - id: seeds
          kind: sft
          matrix: {seed: [1, 2, 3]}
          model: ${{ params.base }}
          data: ${{ params.data }}
          config: {max_steps: 10, seed: "${{ matrix.seed }}"}
        - id: ingredient
          kind: evaluate
          model: ${{ steps.seeds.outputs.model }}
          data: ${{ params.evalset }}
          config: {seed: "${{ matrix.seed }}"}
        - id: soup
          kind: merge
          method: linear
          models: ${{ steps.seeds.outputs.model[*] }}
        - id: soup-eval
          kind: evaluate
          model: ${{ steps.soup.outputs.model }}
          data: ${{ params.evalset }}
          gate: {metric: exact_match, beat: "${{ steps.ingredient.outputs.report[*] }}"}
        - id: best
          kind: select-best
          candidates: ${{ steps.ingredient.outputs.report[*] }}
          metric: exact_match
      """;

  private static String token(String name) {
    return "${{ inputs." + name + " }}";
  }

  private static ExecutionPlan compile(String steps) {
    return Pipelines.compile(HEADER + steps, PARAMS);
  }

  private static List<String> problems(String steps) {
    var e = catchThrowableOfType(InvalidSpecException.class, () -> compile(steps));
    assertThat(e).as("expected the spec to be rejected").isNotNull();
    return e.problems().stream().map(Problem::toString).toList();
  }

  @Test
  void theCheckpointSoupCompilesSeedsFollowedByTheirEvaluationsASoupOfAllAndARelativeGate() {
    ExecutionPlan plan = compile(SOUP);

    assertThat(plan.steps())
        .extracting(PlannedStep::id)
        .containsExactly(
            "seeds-0",
            "seeds-1",
            "seeds-2",
            "ingredient-0",
            "ingredient-1",
            "ingredient-2",
            "soup",
            "soup-eval",
            "best");
    // Each evaluation reads its own seed's model, and sees that seed as ${{ matrix.seed }}.
    for (int i = 0; i < 3; i++) {
      PlannedStep ingredient = plan.step("ingredient-" + i).orElseThrow();
      assertThat(ingredient.needs()).containsExactly("seeds-" + i);
      assertThat(ingredient.body().get("model")).isEqualTo(token("seeds-" + i + ".model"));
      assertThat(ingredient.inputs())
          .filteredOn(InputBinding::fromStepOutput)
          .containsExactly(
              InputBinding.ofStep("seeds-" + i + ".model", "input:model", "seeds-" + i, "model"));
      assertThat(((Map<?, ?>) ingredient.body().get("config")).get("seed")).isEqualTo(i + 1);
    }
    PlannedStep soup = plan.step("soup").orElseThrow();
    assertThat(soup.body().get("models"))
        .isEqualTo(
            List.of(
                Map.of("model", token("seeds-0.model")),
                Map.of("model", token("seeds-1.model")),
                Map.of("model", token("seeds-2.model"))));
    assertThat(soup.needs()).containsExactly("seeds-0", "seeds-1", "seeds-2");

    PlannedStep gated = plan.step("soup-eval").orElseThrow();
    Map<?, ?> gate = (Map<?, ?>) gated.body().get("gate");
    assertThat(gate.get("beat"))
        .isEqualTo(
            List.of(
                token("ingredient-0.report"),
                token("ingredient-1.report"),
                token("ingredient-2.report")));
    // The planner writes the relative bound's defaults, so the trainer keeps none of its own.
    assertThat(gate.get("mode")).isEqualTo("max");
    assertThat(gate.get("margin")).isEqualTo(0.0);
    assertThat(gated.inputs())
        .filteredOn(b -> b.role().equals("input:gate"))
        .extracting(InputBinding::fromStep)
        .containsExactly("ingredient-0", "ingredient-1", "ingredient-2");
    assertThat(gated.needs())
        .containsExactly("soup", "ingredient-0", "ingredient-1", "ingredient-2");

    PlannedStep best = plan.step("best").orElseThrow();
    assertThat(best.body())
        .containsEntry(
            "candidates",
            List.of(
                token("ingredient-0.report"),
                token("ingredient-1.report"),
                token("ingredient-2.report")))
        .containsEntry("mode", "max");
  }

  @Test
  void aBareReferenceInsideModelsStillFansInOneEntryPerExpansionWithItsOtherKeys() {
    PlannedStep soup =
        compile(
                """
          - id: sweep
            kind: sft
            matrix: {lr: [1.0e-5, 3.0e-5]}
            model: ${{ params.base }}
            data: ${{ params.data }}
            config: {lr: "${{ matrix.lr }}"}
          - id: soup
            kind: merge
            method: linear
            models: [{model: "${{ steps.sweep.outputs.model }}", weight: 0.5}, {model: "${{ params.base }}"}]
          """)
            .step("soup")
            .orElseThrow();

    assertThat(soup.body().get("models"))
        .isEqualTo(
            List.of(
                Map.of("model", token("sweep-0.model"), "weight", 0.5),
                Map.of("model", token("sweep-1.model"), "weight", 0.5),
                Map.of("model", token("params.base"))));
  }

  @Test
  void aChainFollowsTheFirstMatrixAndAStepMayFollowSeveralStepsOfTheSameFanOut() {
    ExecutionPlan plan =
        compile(
            """
          - id: prune
            kind: prune
            matrix: {sparsity: [25, 50]}
            model: ${{ params.base }}
            method: magnitude
            config: {sparsity: 0.5}
          - id: eval
            kind: evaluate
            model: ${{ steps.prune.outputs.model }}
            data: ${{ params.evalset }}
          - id: ship
            kind: promote
            model: ${{ steps.prune.outputs.model }}
            report: ${{ steps.eval.outputs.report }}
            alias: "pruned-${{ matrix.sparsity }}"
          """);

    assertThat(plan.steps())
        .extracting(PlannedStep::id)
        .containsExactly("prune-0", "prune-1", "eval-0", "eval-1", "ship-0", "ship-1");
    PlannedStep ship = plan.step("ship-1").orElseThrow();
    assertThat(ship.body())
        .containsEntry("model", token("prune-1.model"))
        .containsEntry("report", token("eval-1.report"))
        .containsEntry("alias", "pruned-50");
    assertThat(ship.needs()).containsExactly("prune-1", "eval-1");
  }

  @Test
  void needsOfAFollowingStepMeanEveryExpansion() {
    PlannedStep after =
        compile(SOUP + "  - id: after\n    kind: approval\n    needs: [ingredient]\n")
            .step("after")
            .orElseThrow();
    assertThat(after.needs()).containsExactly("ingredient-0", "ingredient-1", "ingredient-2");
  }

  @Test
  void starOfAStepThatDoesNotFanOutIsRefusedAtItsPath() {
    assertThat(
            problems(
                """
          - id: train
            kind: sft
            model: ${{ params.base }}
            data: ${{ params.data }}
          - id: soup
            kind: merge
            method: linear
            models: ${{ steps.train.outputs.model[*] }}
          """))
        .containsExactly(
            "steps[1].models: [*] takes every expansion's output, and step 'train' does not fan"
                + " out (it has no matrix and follows none); write ${{ steps.train.outputs.model }}");
  }

  @Test
  void starInASingleArtifactFieldIsRefusedAtItsPath() {
    assertThat(
            problems(
                """
          - id: seeds
            kind: sft
            matrix: {seed: [1, 2]}
            model: ${{ params.base }}
            data: ${{ params.data }}
          - id: eval
            kind: evaluate
            model: ${{ steps.seeds.outputs.model[*] }}
            data: ${{ params.evalset }}
          """))
        .containsExactly(
            "steps[1].model: [*] is the list of every expansion's output, and this field takes one"
                + " artifact; write ${{ steps.seeds.outputs.model }} to run once per expansion of"
                + " 'seeds'");
  }

  @Test
  void aStepWithItsOwnMatrixCannotAlsoFollowOne() {
    assertThat(
            problems(
                """
          - id: seeds
            kind: sft
            matrix: {seed: [1, 2]}
            model: ${{ params.base }}
            data: ${{ params.data }}
          - id: eval
            kind: evaluate
            matrix: {n: [10, 20]}
            model: ${{ steps.seeds.outputs.model }}
            data: ${{ params.evalset }}
            config: {max_samples: "${{ matrix.n }}"}
          """))
        .containsExactly(
            "steps[1].model: step 'eval' has its own matrix and cannot also follow the fan-out of"
                + " 'seeds'; drop the matrix to run once per expansion of 'seeds', or take one"
                + " fixed artifact");
  }

  @Test
  void aStepCannotFollowTwoDifferentFanOuts() {
    assertThat(
            problems(
                """
          - id: a
            kind: sft
            matrix: {seed: [1, 2]}
            model: ${{ params.base }}
            data: ${{ params.data }}
          - id: b
            kind: sft
            matrix: {seed: [3, 4]}
            model: ${{ params.base }}
            data: ${{ params.data }}
          - id: b-eval
            kind: evaluate
            model: ${{ steps.b.outputs.model }}
            data: ${{ params.evalset }}
          - id: ship
            kind: promote
            model: ${{ steps.a.outputs.model }}
            report: ${{ steps.b-eval.outputs.report }}
            alias: x
          """))
        .containsExactly(
            "steps[3].report: step 'ship' follows the fan-out of 'a' (matrix step 'a') and cannot"
                + " also follow 'b-eval' (matrix step 'b'); a step follows one fan-out");
  }

  @Test
  void aFollowingStepSeesOnlyItsOriginsMatrixKeysAndItsExpansionIdsCannotClash() {
    assertThat(
            problems(
                """
          - id: seeds
            kind: sft
            matrix: {seed: [1, 2]}
            model: ${{ params.base }}
            data: ${{ params.data }}
          - id: eval
            kind: evaluate
            model: ${{ steps.seeds.outputs.model }}
            data: ${{ params.evalset }}
            config: {max_samples: "${{ matrix.n }}"}
          - id: eval-1
            kind: approval
          """))
        .containsExactlyInAnyOrder(
            "steps[2].id: id 'eval-1' clashes with an expansion of step 'eval'",
            "steps[1].config.max_samples: unknown matrix key 'n'; expected one of seed");
  }

  @Test
  void relativeGateAndSelectBestRefuseWhatTheyCannotUse() {
    assertThat(
            problems(
                """
          - id: eval
            kind: evaluate
            model: ${{ params.base }}
            data: ${{ params.evalset }}
            gate: {metric: accuracy, margin: 0.1, mode: min}
          - id: best
            kind: select-best
            candidates: ["${{ steps.eval.outputs.report }}", "${{ params.base }}"]
            metric: bleu
            mode: highest
          """))
        .containsExactlyInAnyOrder(
            "steps[0].gate.margin: applies to beat: set gate.beat to the reports to beat",
            "steps[0].gate.mode: applies to beat: set gate.beat to the reports to beat",
            "steps[1].metric: 'bleu' is not a metric evaluate reports; expected one of perplexity,"
                + " loss, exact_match, accuracy, multiple_choice, preference_accuracy,"
                + " preference_margin (or FILE/METRIC)",
            "steps[1].mode: must be one of max, min");
  }

  @Test
  void relativeGatesAndSelectBestTakeOnlyReportsWhichASavedTemplateIsCheckedFor() {
    String steps =
        """
          - id: seeds
            kind: sft
            matrix: {seed: [1, 2]}
            model: ${{ params.base }}
            data: ${{ params.data }}
          - id: vs-models
            kind: evaluate
            model: ${{ params.base }}
            data: ${{ params.evalset }}
            gate: {metric: accuracy, beat: ["${{ steps.seeds.outputs.model[*] }}"]}
          - id: best
            kind: select-best
            candidates: ${{ steps.seeds.outputs.model[*] }}
            metric: accuracy
          """;
    var saved =
        catchThrowableOfType(InvalidSpecException.class, () -> Pipelines.parse(HEADER + steps));
    assertThat(saved.problems().stream().map(Problem::toString))
        .containsExactlyInAnyOrder(
            "steps[1].gate.beat[0]: expected eval-report, but output 'model' of step 'seeds'"
                + " (sft) is checkpoint",
            "steps[2].candidates: expected eval-report, but output 'model' of step 'seeds'"
                + " (sft) is checkpoint");
    assertThat(problems(steps))
        .isEqualTo(saved.problems().stream().map(Problem::toString).toList());
  }
}
