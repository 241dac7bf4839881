package dev.trainyard.pipeline.validate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trainyard.pipeline.Pipelines;
import dev.trainyard.pipeline.spec.Processes;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One test per class of problem, asserting exactly what a user would read. */
class SpecValidationTest {
  private static final String ARTIFACT = "a".repeat(64);

  private static final String HEADER =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: t
      params:
        base: {type: checkpoint}
        corpus: {type: dataset}
        greeting: {type: string, default: hi}
        shards: {type: int, default: 3}
      steps:
      """;

  private static final String TRAIN =
      """
        - id: train
          kind: sft
          model: ${{ params.base }}
          data: ${{ params.corpus }}
      """;

  private static List<String> parseProblems(String text) {
    var e = catchThrowableOfType(InvalidSpecException.class, () -> Pipelines.parse(text));
    assertThat(e).as("expected the spec to be rejected").isNotNull();
    return e.problems().stream().map(Problem::toString).toList();
  }

  private static List<String> compileProblems(String text, Map<String, Object> params) {
    var e = catchThrowableOfType(InvalidSpecException.class, () -> Pipelines.compile(text, params));
    assertThat(e).as("expected the launch to be rejected").isNotNull();
    return e.problems().stream().map(Problem::toString).toList();
  }

  private static List<String> stepProblems(String steps) {
    return parseProblems(HEADER + steps);
  }

  @Test
  void aValidSpecHasNoProblems() {
    assertThat(Pipelines.parse(HEADER + TRAIN).steps()).hasSize(1);
  }

  @Test
  void yamlSyntaxErrorIsReportedAtTheRootWithLineAndColumn() {
    assertThat(parseProblems("apiVersion: trainyard/v1\nsteps: [a, b\nname: x\n"))
        .containsExactly("$: invalid YAML at line 3, column 5: while parsing a flow sequence");
  }

  @Test
  void oversizedOrDeeplyNestedDocumentsAreRejectedBeforeWalking() {
    assertThat(parseProblems("description: " + "y".repeat(1_000_001)))
        .containsExactly("$: too large: 1000014 characters, at most 1000000");
    assertThat(parseProblems("description: " + "[".repeat(60) + "]".repeat(60)))
        .singleElement()
        .asString()
        .startsWith("$: invalid YAML")
        .contains("nesting depth");
  }

  @Test
  void numberParametersAcceptIntegersAndIntParametersAcceptIntegralDoubles() {
    String text =
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: t
        params:
          lr: {type: number}
          steps: {type: int}
        steps:
          - id: a
            kind: command
            run: echo ${{ params.lr }} ${{ params.steps }}
        """;
    var plan = Pipelines.compile(text, Map.of("lr", 2L, "steps", 3.0));
    assertThat(plan.steps().get(0).body().get("run")).isEqualTo("echo 2 3");
    assertThat(compileProblems(text, Map.of("lr", "0.1", "steps", 3.5)))
        .containsExactly(
            "params.lr: expected number, got \"0.1\"", "params.steps: expected int, got 3.5");
  }

  @Test
  void wrongApiVersionAndKindAreReported() {
    String text =
        HEADER.replace("trainyard/v1", "trainyard/v2").replace("kind: Pipeline", "kind: Job")
            + TRAIN;
    assertThat(parseProblems(text))
        .containsExactly(
            "apiVersion: expected trainyard/v1, got \"trainyard/v2\"",
            "kind: expected Pipeline, got \"Job\"");
  }

  @Test
  void missingNameIsReported() {
    assertThat(parseProblems(HEADER.replace("name: t\n", "") + TRAIN))
        .containsExactly("name: required");
  }

  @Test
  void unknownStepKindListsTheKnownOnes() {
    assertThat(
            stepProblems(
                TRAIN
                    + TRAIN.replace("train", "b")
                    + """
          - id: c
            kind: trian
        """))
        .containsExactly(
            "steps[2].kind: unknown step kind 'trian'; expected one of command, pretrain, continual-pretrain, "
                + "sft, dpo, merge, prune, upcycle, tokenize, evaluate, route-stats, approval, promote, select-best");
  }

  @Test
  void aSaveDtypeOutsideFp32Bf16Fp16IsRefusedWithItsPath() {
    assertThat(Pipelines.parse(HEADER + TRAIN + "    config: {save_dtype: bf16}\n").steps())
        .hasSize(1);
    assertThat(stepProblems(TRAIN + "    config: {save_dtype: int8}\n"))
        .containsExactly("steps[0].config.save_dtype: must be one of fp32, bf16, fp16");
  }

  @Test
  void anUpcycleIsRefusedAtEachBadSettingsPath() {
    assertThat(
            stepProblems(
                """
          - id: moe
            kind: upcycle
            model: ${{ params.base }}
            config: {experts: 4, top_k: 5, router_init: uniform}
          - id: one
            kind: upcycle
            model: ${{ params.base }}
            config: {experts: 1, top_k: 1}
          - id: none
            kind: upcycle
            model: ${{ params.base }}
        """))
        .containsExactlyInAnyOrder(
            "steps[0].config.router_init: must be one of zeros, normal",
            "steps[0].config.top_k: must be at most config.experts (4), got 5",
            "steps[1].config.experts: must be >= 2 and <= 64",
            "steps[2].config: required");
  }

  @Test
  void aRouteStatsStepIsRefusedAtEachBadInputPath() {
    assertThat(
            stepProblems(
                """
          - id: nodata
            kind: route-stats
            model: ${{ params.base }}
          - id: capped
            kind: route-stats
            model: ${{ params.base }}
            data: ${{ params.corpus }}
            config: {max_tokens: 0, max_sequences: -1, batch_size: 0, top_k: 2}
        """))
        .containsExactlyInAnyOrder(
            "steps[0].data: required",
            "steps[1].config.max_tokens: must be > 0",
            "steps[1].config.max_sequences: must be > 0",
            "steps[1].config.batch_size: must be > 0",
            "steps[1].config.top_k: unknown config key for kind 'route-stats'; expected one of subset,"
                + " seq_len, batch_size, max_sequences, max_tokens, seed, precision, device, cpu_threads");
    String swapped =
        HEADER
            + """
          - id: profile
            kind: route-stats
            model: ${{ params.corpus }}
            data: ${{ params.corpus }}
          - id: eval
            kind: evaluate
            model: ${{ steps.profile.outputs.profile }}
            data: ${{ params.corpus }}
        """;
    assertThat(compileProblems(swapped, Map.of("base", ARTIFACT, "corpus", ARTIFACT)))
        .containsExactly(
            "steps[0].model: expected checkpoint, but parameter 'corpus' (dataset) is dataset",
            "steps[1].model: expected checkpoint, but output 'profile' of step 'profile' (route-stats)"
                + " is routing-profile");
  }

  @Test
  void anExpertPruneIsRefusedAtEachBadFieldPath() {
    assertThat(
            stepProblems(
                """
          - id: nok
            kind: prune
            model: ${{ params.base }}
            method: experts
          - id: zero
            kind: prune
            model: ${{ params.base }}
            method: experts
            config: {experts: [2, 0], rank_by: random}
          - id: noprofile
            kind: prune
            model: ${{ params.base }}
            method: experts
            config: {experts: 2, rank_by: gate-norm}
          - id: mag
            kind: prune
            model: ${{ params.base }}
            method: magnitude
            profile: ${{ params.base }}
            config: {experts: 2, rank_by: fastest}
        """))
        .containsExactlyInAnyOrder(
            "steps[0].config.experts: method experts needs the number of experts kept per layer",
            "steps[0].profile: rank_by frequency ranks experts from a routing profile (a route-stats"
                + " output); give one, or use rank_by random",
            "steps[1].config.experts: must be an int >= 1, or a list of them with one per layer,"
                + " got [2, 0]",
            "steps[2].profile: rank_by gate-norm ranks experts from a routing profile (a route-stats"
                + " output); give one, or use rank_by random",
            "steps[3].profile: only method experts reads a routing profile",
            "steps[3].config.experts: only method experts reads it",
            "steps[3].config.rank_by: only method experts reads it",
            "steps[3].config.rank_by: must be one of frequency, gate-norm, random");
  }

  @Test
  void anExpertMergeIsRefusedAtEachBadFieldPath() {
    assertThat(
            stepProblems(
                """
          - id: two
            kind: merge
            method: moe-experts
            base: ${{ params.base }}
            models:
              - {model: "${{ params.base }}", weight: 0.5}
              - {model: "${{ params.base }}"}
            config: {normalize: true, weighting: fancy, group_by: names, rank: 0}
          - id: lin
            kind: merge
            method: linear
            profile: ${{ params.base }}
            models: [{model: "${{ params.base }}"}]
            config: {experts: 4, align: true}
        """))
        .containsExactlyInAnyOrder(
            "steps[0].base: moe-experts merges the experts within one Mixtral; list it under models,"
                + " not base",
            "steps[0].models: moe-experts merges the experts within one Mixtral checkpoint, got 2",
            "steps[0].models[0].weight: moe-experts weights the experts of a group by"
                + " config.weighting, not per model",
            "steps[0].profile: moe-experts picks the dominant experts by routing frequency; give the"
                + " model's routing profile (a route-stats output)",
            "steps[0].config.experts: moe-experts needs the number of dominant experts kept per layer",
            "steps[0].config.normalize: moe-experts does not use normalize; config.weighting weights"
                + " each group",
            "steps[0].config.weighting: must be one of frequency, uniform",
            "steps[0].config.group_by: must be one of router-logits, weights",
            "steps[0].config.rank: must be >= 1",
            "steps[1].profile: only method moe-experts reads a routing profile",
            "steps[1].config.experts: only method moe-experts reads it",
            "steps[1].config.align: only method moe-experts reads it");
  }

  @Test
  void aCheckpointIsNeverAcceptedWhereARoutingProfileIsNeeded() {
    assertThat(
            compileProblems(
                HEADER
                    + """
          - id: prune
            kind: prune
            model: ${{ params.base }}
            method: experts
            profile: ${{ params.base }}
            config: {experts: 2}
          - id: merge
            kind: merge
            method: moe-experts
            models: [{model: "${{ params.base }}"}]
            profile: ${{ params.corpus }}
            config: {experts: 2}
        """,
                Map.of("base", ARTIFACT, "corpus", ARTIFACT)))
        .containsExactly(
            "steps[0].profile: expected routing-profile, but parameter 'base' (checkpoint) is"
                + " checkpoint",
            "steps[1].profile: expected routing-profile, but parameter 'corpus' (dataset) is"
                + " dataset");
  }

  @Test
  void aPretrainArchitectureOfAnUnknownFamilyIsRefusedAtModelType() {
    assertThat(
            stepProblems(
                """
          - id: gpt
            kind: pretrain
            model: {preset: tiny, model_type: gpt2}
            data: ${{ params.corpus }}
          - id: qwen
            kind: pretrain
            model: {preset: tiny, model_type: qwen2}
            data: ${{ params.corpus }}
        """))
        .containsExactly(
            "steps[0].model.model_type: 'gpt2' is not a supported model family; supported: llama,"
                + " qwen2, qwen3, mistral, mixtral");
  }

  @Test
  void missingStepIdIsReported() {
    assertThat(
            stepProblems(
                """
          - kind: approval
        """))
        .containsExactly("steps[0].id: required");
  }

  @Test
  void duplicateStepIdPointsAtTheFirstUse() {
    assertThat(stepProblems(TRAIN + TRAIN))
        .containsExactly("steps[1].id: duplicate id 'train' (first used at steps[0])");
  }

  @Test
  void badStepIdFormatIsReported() {
    assertThat(stepProblems(TRAIN.replace("id: train", "id: Train_1")))
        .containsExactly("steps[0].id: 'Train_1' must match [a-z][a-z0-9-]{0,62}");
  }

  @Test
  void unknownTopLevelFieldForTheKindIsReported() {
    assertThat(
            stepProblems(
                TRAIN
                    + """
            run: echo hi
        """))
        .containsExactly(
            "steps[0].run: unknown field for kind 'sft'; expected one of model, data, eval_data, config, "
                + "adapter, id, kind, needs, resources, timeout, retry, matrix, cache, description");
  }

  @Test
  void unknownConfigKeyIsReported() {
    assertThat(
            stepProblems(
                TRAIN
                    + """
            config: {learning_rate: 0.1}
        """))
        .containsExactly(
            "steps[0].config.learning_rate: unknown config key for kind 'sft'; expected one of max_steps, lr, "
                + "warmup_steps, batch_size, seq_len, seed, eval_every, eval_subset, checkpoint_every, "
                + "grad_accum, weight_decay, min_lr_ratio, grad_clip, log_every, subset, precision, save_dtype, compile, device, "
                + "cpu_threads");
  }

  @Test
  void configPresetIsRejectedBecauseNoTrainerReadsIt() {
    assertThat(
            stepProblems(
                TRAIN
                    + """
            config: {preset: fast}
        """))
        .singleElement()
        .asString()
        .startsWith("steps[0].config.preset: unknown config key for kind 'sft'");
  }

  @Test
  void replayIsRejectedForSftAndDpoWhoseObjectivesCannotReplay() {
    String replay = "    config: {replay: {dataset: \"${{ params.corpus }}\", ratio: 0.1}}\n";
    assertThat(stepProblems(TRAIN + replay))
        .singleElement()
        .asString()
        .startsWith("steps[0].config.replay: unknown config key for kind 'sft'");
    assertThat(stepProblems(TRAIN.replace("kind: sft", "kind: dpo") + replay))
        .singleElement()
        .asString()
        .startsWith("steps[0].config.replay: unknown config key for kind 'dpo'");
    assertThat(
            Pipelines.parse(
                    HEADER + TRAIN.replace("kind: sft", "kind: continual-pretrain") + replay)
                .steps())
        .hasSize(1);
  }

  @Test
  void aReplayRatioOfOneAndASequenceOfOneTokenAreRejectedBeforeTheTrainerSeesThem() {
    assertThat(
            stepProblems(
                TRAIN.replace("kind: sft", "kind: continual-pretrain")
                    + """
            config: {seq_len: 1, replay: {dataset: "${{ params.corpus }}", ratio: 1}}
        """))
        .containsExactly(
            "steps[0].config.seq_len: must be >= 2",
            "steps[0].config.replay.ratio: must be >= 0 and < 1");
  }

  @Test
  void anUnknownModelPresetIsRejectedWithTheKnownOnes() {
    assertThat(
            stepProblems(
                """
          - id: pre
            kind: pretrain
            model: gigantic
            data: ${{ params.corpus }}
          - id: wide
            kind: pretrain
            model: {preset: huge, num_hidden_layers: 2}
            data: ${{ params.corpus }}
        """))
        .containsExactly(
            "steps[0].model: unknown model preset 'gigantic'; presets are tiny, mini, small, 125m, 350m",
            "steps[1].model.preset: unknown model preset 'huge'; presets are tiny, mini, small, 125m, 350m");
  }

  @Test
  void anEvaluateStepNeedsDataAndItsGateAMetricItsTasksMeasure() {
    assertThat(
            stepProblems(
                """
          - id: eval
            kind: evaluate
            model: ${{ params.base }}
            gate: {metric: acuracy, min: 0.5}
          - id: ppl
            kind: evaluate
            model: ${{ params.base }}
            data: ${{ params.corpus }}
            tasks: [ppl, trivia]
          - id: qa
            kind: evaluate
            model: ${{ params.base }}
            data: ${{ params.corpus }}
            tasks: [perplexity]
            gate: {metric: accuracy, min: 0.5}
        """))
        .containsExactly(
            "steps[0].data: required",
            "steps[0].gate.metric: 'acuracy' is not measured by any task; expected one of perplexity, loss, "
                + "exact_match, accuracy, multiple_choice, preference_accuracy, preference_margin (or FILE/METRIC)",
            "steps[1].tasks[1]: unknown task 'trivia'; expected one of perplexity, exact_match, multiple_choice, "
                + "preference, mc, pairs, ppl, qa",
            "steps[2].gate.metric: 'accuracy' is not measured by tasks perplexity; expected one of perplexity, loss "
                + "(or FILE/METRIC)");
    assertThat(
            Pipelines.parse(
                    HEADER
                        + """
          - id: eval
            kind: evaluate
            model: ${{ params.base }}
            data: ${{ params.corpus }}
            tasks: [qa]
            gate: {metric: arithmetic/accuracy, min: 0.5}
        """)
                .steps())
        .hasSize(1);
  }

  @Test
  void eachMergeMethodsNeedsAreRefusedAtValidationWithTheirPaths() {
    assertThat(
            stepProblems(
                """
          - id: ta
            kind: merge
            method: ties
            models:
              - {model: "${{ params.base }}", weight: 1.0}
          - id: sl
            kind: merge
            method: slerp
            base: ${{ params.base }}
            models:
              - {model: "${{ params.base }}"}
              - {model: "${{ params.base }}"}
          - id: lin
            kind: merge
            method: linear
            base: ${{ params.base }}
            models:
              - {model: "${{ params.base }}", weight: 1.0, density: 0.5}
              - {model: "${{ params.base }}", weight: -1.0}
          - id: stock
            kind: merge
            method: model-stock
            models:
              - {model: "${{ params.base }}"}
          - id: dare
            kind: merge
            method: dare_ties
            base: ${{ params.base }}
            models:
              - {model: "${{ params.base }}", weight: 0.5, density: 0.5}
        """))
        .containsExactly(
            "steps[0].base: ties needs a base checkpoint (task vectors are model − base)",
            "steps[1].models: slerp interpolates exactly two checkpoints (base and one model), got 3",
            "steps[1].config.t: slerp needs the interpolation factor t",
            "steps[2].base: linear does not use a base; list it under models with its weight",
            "steps[2].models[0].density: linear does not sparsify; density applies to ties, dare, breadcrumbs",
            "steps[2].models: weights sum to 0, which normalize cannot divide by; set config.normalize: false",
            "steps[3].base: model-stock needs a base checkpoint",
            "steps[3].models: model-stock needs at least two fine-tuned models");
  }

  @Test
  void aCommandsFilesAReportOrADatasetIsNeverAcceptedWhereACheckpointIsNeeded() {
    assertThat(
            compileProblems(
                HEADER
                    + """
          - id: files
            kind: command
            run: "true"
          - id: eval
            kind: evaluate
            model: ${{ params.base }}
            data: ${{ params.corpus }}
          - id: tune
            kind: sft
            model: ${{ steps.files.outputs.output }}
            data: ${{ params.corpus }}
          - id: again
            kind: sft
            model: ${{ steps.eval.outputs.report }}
            data: ${{ params.corpus }}
          - id: swapped
            kind: sft
            model: ${{ params.corpus }}
            data: ${{ params.corpus }}
          - id: soup
            kind: merge
            method: linear
            models: [{model: "${{ steps.eval.outputs.report }}"}]
        """,
                Map.of("base", ARTIFACT, "corpus", ARTIFACT)))
        .containsExactly(
            "steps[2].model: expected checkpoint, but output 'output' of step 'files' (command) is files",
            "steps[3].model: expected checkpoint, but output 'report' of step 'eval' (evaluate) is eval-report",
            "steps[4].model: expected checkpoint, but parameter 'corpus' (dataset) is dataset",
            "steps[5].models[0].model: expected checkpoint or adapter, but output 'report' of step 'eval' (evaluate) is eval-report");
  }

  @Test
  void aCommandThatDeclaresItsOutputACheckpointFeedsTrainingAndItsFilesAreData() {
    var plan =
        Pipelines.compile(
            HEADER
                + """
          - id: trainer
            kind: command
            output_type: checkpoint
            run: "true"
          - id: data
            kind: command
            run: "true"
          - id: tune
            kind: sft
            model: ${{ steps.trainer.outputs.output }}
            data: ${{ steps.data.outputs.output }}
        """,
            Map.of("base", ARTIFACT, "corpus", ARTIFACT));
    assertThat(plan.steps()).hasSize(3);
  }

  @Test
  void evalEveryNeedsEvalDataToEvaluateOn() {
    assertThat(
            stepProblems(
                TRAIN
                    + """
            config: {eval_every: 50}
        """))
        .containsExactly(
            "steps[0].config.eval_every: needs eval_data: the held-out dataset to evaluate on");
    assertThat(
            Pipelines.parse(
                    HEADER
                        + TRAIN
                        + """
            eval_data: ${{ params.corpus }}
            config: {eval_every: 50}
        """)
                .steps())
        .hasSize(1);
  }

  @Test
  void wrongTypeOfConfigValueIsReported() {
    assertThat(
            stepProblems(
                TRAIN
                    + """
            config: {max_steps: many}
        """))
        .containsExactly("steps[0].config.max_steps: expected int, got \"many\"");
  }

  @Test
  void wrongTypeOfFieldIsReported() {
    assertThat(
            stepProblems(
                """
          - id: a
            kind: command
            run: [echo, hi]
        """))
        .containsExactly("steps[0].run: expected string, got a list");
  }

  @Test
  void constraintViolationIsReported() {
    assertThat(
            stepProblems(
                TRAIN
                    + """
            config: {lr: 0}
        """))
        .containsExactly("steps[0].config.lr: must be > 0");
  }

  @Test
  void referenceToAnUnknownStepIsReported() {
    assertThat(
            stepProblems(
                TRAIN
                    + """
          - id: eval
            kind: evaluate
            model: ${{ steps.nope.outputs.model }}
            data: ${{ params.corpus }}
        """))
        .containsExactly("steps[1].model: unknown step 'nope'");
  }

  @Test
  void needsOnAnUnknownStepIsReported() {
    assertThat(
            stepProblems(
                TRAIN
                    + """
          - id: gate
            kind: approval
            needs: [train, nope]
        """))
        .containsExactly("steps[1].needs[1]: unknown step 'nope'");
  }

  @Test
  void referenceToAnOutputTheKindDoesNotProduceIsReported() {
    assertThat(
            stepProblems(
                TRAIN
                    + """
          - id: eval
            kind: evaluate
            model: ${{ steps.train.outputs.report }}
            data: ${{ params.corpus }}
        """))
        .containsExactly(
            "steps[1].model: step 'train' (kind sft) has no output 'report'; it produces: model");
  }

  @Test
  void unknownParameterReferenceIsReported() {
    assertThat(
            stepProblems(
                """
          - id: a
            kind: command
            run: echo ${{ params.greting }}
        """))
        .containsExactly("steps[0].run: unknown parameter 'greting'");
  }

  @Test
  void aStringPathOrListWrittenIntoACommandsRunIsRefusedWithItsPathAndTheVariableToUse() {
    assertThat(
            stepProblems(
                """
          - id: make
            kind: command
            matrix: {word: [a, b], n: [1, 2]}
            run: |
              echo "${{ params.greeting }}" '${{ matrix.word }}' ${{ matrix.n }} ${{ params.shards }}
              cat <<EOF
              ${{ params.corpus }}
              EOF
          - id: use
            kind: command
            inputs: ["${{ steps.make.outputs.output }}"]
            env: {GREETING: "${{ params.greeting }}", FROM: "${{ steps.make.outputs.output }}"}
            run: cat "${{ steps.make.outputs.output }}" ${{ inputs }}
        """))
        .containsExactly(
            "steps[0].run: ${{ params.greeting }} would be pasted into the shell script, where no quoting stops a value "
                + "from running as code; pass it through the environment instead: \"$TRAINYARD_PARAM_GREETING\"",
            "steps[0].run: ${{ matrix.word }} would be pasted into the shell script, where no quoting stops a value "
                + "from running as code; pass it through the environment instead: \"$TRAINYARD_MATRIX_WORD\"",
            "steps[0].run: ${{ params.corpus }} would be pasted into the shell script, where no quoting stops a value "
                + "from running as code; name it under inputs: (inputs: {corpus: ${{ params.corpus }}}) and use "
                + "\"$TRAINYARD_INPUT_CORPUS\"",
            "steps[1].run: ${{ steps.make.outputs.output }} would be pasted into the shell script, where no quoting "
                + "stops a value from running as code; name it under inputs: (inputs: {make: ${{ steps.make.outputs.output }}}) "
                + "and use \"$TRAINYARD_INPUT_MAKE\"",
            "steps[1].run: ${{ inputs }} would be pasted into the shell script, where no quoting stops a value from "
                + "running as code; read the environment instead: $TRAINYARD_INPUTS (one path per line) or the file "
                + "$TRAINYARD_INPUTS_FILE");
  }

  @Test
  void cycleIsReportedWithItsSteps() {
    assertThat(
            stepProblems(
                """
          - id: a
            kind: command
            inputs: ["${{ steps.b.outputs.output }}"]
            run: cat "$TRAINYARD_INPUTS"
          - id: b
            kind: command
            needs: [a]
            run: echo
        """))
        .containsExactly("steps: dependency cycle a -> b -> a");
  }

  @Test
  void missingRequiredParameterAtLaunchIsReported() {
    assertThat(compileProblems(HEADER + TRAIN, Map.of("corpus", ARTIFACT)))
        .containsExactly("params.base: required");
  }

  @Test
  void wrongParameterTypeAtLaunchIsReported() {
    assertThat(
            compileProblems(
                HEADER + TRAIN, Map.of("base", ARTIFACT, "corpus", ARTIFACT, "shards", "x")))
        .containsExactly("params.shards: expected int, got \"x\"");
  }

  @Test
  void unknownParameterAtLaunchIsReported() {
    assertThat(
            compileProblems(
                HEADER + TRAIN, Map.of("base", ARTIFACT, "corpus", ARTIFACT, "extra", 1)))
        .containsExactly("params.extra: unknown parameter");
  }

  @Test
  void checkpointParameterMustBeAnArtifactId() {
    assertThat(compileProblems(HEADER + TRAIN, Map.of("base", "production", "corpus", ARTIFACT)))
        .containsExactly("params.base: expected an artifact id");
  }

  @Test
  void badResourceRequestsAreReported() {
    assertThat(
            stepProblems(
                """
          - id: a
            kind: approval
            resources: {pool: GPU_A, gpus: -1}
          - id: b
            kind: approval
            resources: {gpus: 65}
        """))
        .containsExactly(
            "steps[0].resources.pool: must match [a-z0-9-]+",
            "steps[0].resources.gpus: must be >= 0 and <= 64",
            "steps[1].resources.gpus: must be >= 0 and <= 64");
  }

  @Test
  void severalProcessesOrHostsAreCheckedWithThePathOfEveryProblem() {
    assertThat(
            stepProblems(
                """
          - id: cmd
            kind: command
            run: torchrun train.py
            resources: {processes: 2, nodes: 2, rendezvous: "h:1"}
          - id: gpus
            kind: pretrain
            data: ${{ params.corpus }}
            resources: {gpus: 2, processes: 4}
          - id: lonely
            kind: pretrain
            data: ${{ params.corpus }}
            resources: {nodes: 2}
          - id: port
            kind: pretrain
            data: ${{ params.corpus }}
            resources: {nodes: 2, rendezvous: "trainer-0:99999"}
          - id: host
            kind: pretrain
            data: ${{ params.corpus }}
            resources: {nodes: 2, rendezvous: "http://trainer-0"}
          - id: single
            kind: pretrain
            data: ${{ params.corpus }}
            resources: {processes: 0, rendezvous: "trainer-0:29400"}
        """))
        .containsExactly(
            "steps[0].resources.processes: kind 'command' runs as one process; only"
                + " pretrain, continual-pretrain, sft, dpo run as several (DDP ranks). A command"
                + " step starts its own, e.g. torchrun in run:",
            "steps[0].resources.nodes: kind 'command' runs on one host; only pretrain,"
                + " continual-pretrain, sft, dpo span hosts",
            "steps[1].resources.processes: 4 processes on a host with 2 GPUs: each process drives"
                + " one GPU, so processes must equal gpus (or be left out)",
            "steps[2].resources.nodes: multi-node steps do not run yet: an attempt runs on one"
                + " worker, and the workflow does not start one per host; use processes (or gpus) on"
                + " one host",
            "steps[2].resources.rendezvous: required when nodes > 1: host:port of the c10d"
                + " rendezvous on one of the step's hosts",
            "steps[3].resources.nodes: multi-node steps do not run yet: an attempt runs on one"
                + " worker, and the workflow does not start one per host; use processes (or gpus) on"
                + " one host",
            "steps[3].resources.rendezvous: 'trainer-0:99999' is not host:port (a host name or"
                + " address, and a port 1-65535), e.g. trainer-0.internal:29400",
            "steps[4].resources.nodes: multi-node steps do not run yet: an attempt runs on one"
                + " worker, and the workflow does not start one per host; use processes (or gpus) on"
                + " one host",
            "steps[4].resources.rendezvous: 'http://trainer-0' is not host:port (a host name or"
                + " address, and a port 1-65535), e.g. trainer-0.internal:29400",
            "steps[5].resources.processes: must be >= 1 and <= 64",
            "steps[5].resources.rendezvous: only with nodes > 1 (one host rendezvouses on its own)");
  }

  @Test
  void aTrainingStepOnSeveralProcessesCarriesTheirLayoutInItsPlannedBody() {
    var plan =
        Pipelines.compile(
            HEADER
                + """
          - id: ddp
            kind: pretrain
            data: ${{ params.corpus }}
            resources: {pool: cpu, processes: 2}
          - id: wide
            kind: sft
            model: ${{ params.base }}
            data: ${{ params.corpus }}
            resources: {gpus: 8}
          - id: plain
            kind: pretrain
            data: ${{ params.corpus }}
            resources: {gpus: 1}
        """,
            Map.of("base", ARTIFACT, "corpus", ARTIFACT));
    var ddp = plan.step("ddp").orElseThrow();
    assertThat(ddp.body()).containsEntry("resources", Map.of("processes", 2));
    assertThat(Processes.of(ddp.body(), ddp.gpus())).isEqualTo(new Processes(2, 1, null));
    var wide = plan.step("wide").orElseThrow();
    assertThat(wide.body()).doesNotContainKey("resources");
    assertThat(Processes.of(wide.body(), wide.gpus())).isEqualTo(new Processes(8, 1, null));
    var plain = plan.step("plain").orElseThrow();
    assertThat(plain.body()).doesNotContainKey("resources");
    assertThat(Processes.of(plain.body(), plain.gpus())).isEqualTo(Processes.ONE);
  }

  @Test
  void badTimeoutFormatIsReported() {
    assertThat(
            stepProblems(
                """
          - id: a
            kind: approval
            timeout: 10x
        """))
        .containsExactly(
            "steps[0].timeout: bad duration \"10x\"; expected seconds or a duration such as 90s, 10m, 2h or 1h30m");
  }

  @Test
  void badRetryValuesAreReported() {
    assertThat(
            stepProblems(
                """
          - id: a
            kind: approval
            retry: {max_attempts: 0, backoff_seconds: -1, jitter: true}
        """))
        .containsExactly(
            "steps[0].retry.max_attempts: must be >= 1 and <= 100",
            "steps[0].retry.backoff_seconds: must be >= 0",
            "steps[0].retry.jitter: unknown key; expected one of max_attempts, backoff_seconds, backoff_multiplier");
  }

  @Test
  void badMatrixIsReported() {
    assertThat(
            stepProblems(
                """
          - id: a
            kind: command
            matrix: {shard: [], lr: [0.1, [0.2]]}
            run: echo
          - id: b
            kind: command
            matrix: {}
            run: echo
        """))
        .containsExactly(
            "steps[0].matrix.shard: must be a non-empty list",
            "steps[0].matrix.lr[1]: must be a scalar (string, number or boolean)",
            "steps[1].matrix: must not be empty");
  }

  @Test
  void everyProblemIsReportedNotJustTheFirst() {
    assertThat(
            stepProblems(
                """
          - id: train
            kind: sft
            model: ${{ params.base }}
            data: ${{ params.corpus }}
            config: {lr: -1}
          - id: Bad
            kind: approval
          - id: eval
            kind: evaluate
            model: ${{ steps.nope.outputs.model }}
            data: ${{ params.corpus }}
        """))
        .containsExactly(
            "steps[0].config.lr: must be > 0",
            "steps[1].id: 'Bad' must match [a-z][a-z0-9-]{0,62}",
            "steps[2].model: unknown step 'nope'");
  }

  @Test
  void specAndParameterProblemsAreReportedTogether() {
    assertThat(
            compileProblems(HEADER + TRAIN + "    config: {lr: 0}\n", Map.of("corpus", ARTIFACT)))
        .containsExactly("steps[0].config.lr: must be > 0", "params.base: required");
  }

  @Test
  void aParameterOfTheWrongTypeForItsFieldIsCaughtAfterSubstitution() {
    assertThat(
            compileProblems(
                HEADER + TRAIN + "    config: {max_steps: \"${{ params.greeting }}\"}\n",
                Map.of("base", ARTIFACT, "corpus", ARTIFACT)))
        .containsExactly("steps[0].config.max_steps: expected int, got \"hi\"");
  }

  @Test
  void artifactFieldsMustReferenceAnArtifact() {
    assertThat(stepProblems(TRAIN.replace("${{ params.base }}", "${{ params.greeting }}")))
        .containsExactly(
            "steps[0].model: must reference an artifact: ${{ params.NAME }} of type checkpoint, "
                + "dataset or adapter, or ${{ steps.ID.outputs.NAME }}");
  }

  @Test
  void badParameterDeclarationsAreReported() {
    assertThat(
            parseProblems(
                """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: t
        params:
          shards: {type: int, default: many}
          mode: {type: str}
        steps:
          - id: a
            kind: approval
        """))
        .containsExactly(
            "params.shards.default: expected int, got \"many\"",
            "params.mode.type: unknown type 'str'; expected one of string, int, number, boolean, checkpoint, dataset, adapter");
  }
}
