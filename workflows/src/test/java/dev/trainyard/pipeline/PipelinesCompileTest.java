package dev.trainyard.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.InputBinding;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.pipeline.plan.RetrySpec;
import dev.trainyard.pipeline.spec.ParamType;
import dev.trainyard.pipeline.spec.PipelineSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PipelinesCompileTest {
  private static final String BASE_ID = "b".repeat(64);
  private static final String CORPUS_ID = "c".repeat(64);

  private static final String HELLO =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: hello
      description: says hello in shards
      params:
        greeting: {type: string, default: hi, description: "what to say"}
        shards:   {type: int, default: 3}
        base:     {type: checkpoint, required: false}
      steps:
        - id: split
          kind: command
          run: 'echo "$TRAINYARD_PARAM_GREETING" > $TRAINYARD_OUTPUT/a.txt'
          env: {FOO: bar}
          resources: {pool: cpu, gpus: 0}
          timeout: 10m
          retry: {max_attempts: 3, backoff_seconds: 1, backoff_multiplier: 2}
        - id: work
          kind: command
          matrix: {shard: [0, 1, 2]}
          inputs: {split: "${{ steps.split.outputs.output }}"}
          run: "cat $TRAINYARD_INPUT_SPLIT/a.txt > $TRAINYARD_OUTPUT/part-${{ matrix.shard }}.txt"
        - id: join
          kind: command
          needs: [work]
          inputs: ${{ steps.work.outputs.output }}
          run: "xargs cat < $TRAINYARD_INPUTS_FILE > $TRAINYARD_OUTPUT/all.txt"
        - id: gate
          kind: approval
          needs: [join]
          message: looks good?
      """;

  private static String token(String name) {
    return "${{ inputs." + name + " }}";
  }

  @Test
  void parseReturnsTheSpecAsWritten() {
    PipelineSpec spec = Pipelines.parse(HELLO);
    assertThat(spec.name()).isEqualTo("hello");
    assertThat(spec.description()).isEqualTo("says hello in shards");
    assertThat(spec.source()).isEqualTo(HELLO);
    assertThat(spec.params())
        .extracting(p -> p.name() + ":" + p.type() + ":" + p.required() + ":" + p.defaultValue())
        .containsExactly(
            "greeting:STRING:false:hi", "shards:INT:false:3", "base:CHECKPOINT:false:null");
    assertThat(spec.steps())
        .extracting(s -> s.id())
        .containsExactly("split", "work", "join", "gate");
  }

  @Test
  void helloSpecCompilesIntoOrderedStepsWithNeedsBindingsAndTokens() {
    ExecutionPlan plan = Pipelines.compile(HELLO, Map.of());

    assertThat(plan.pipeline()).isEqualTo("hello");
    assertThat(plan.steps())
        .extracting(PlannedStep::id)
        .containsExactly("split", "work-0", "work-1", "work-2", "join", "gate");

    PlannedStep split = plan.step("split").orElseThrow();
    assertThat(split.body())
        .containsExactly(
            Map.entry("run", "echo \"$TRAINYARD_PARAM_GREETING\" > $TRAINYARD_OUTPUT/a.txt"),
            Map.entry(
                "env",
                Map.of(
                    "TRAINYARD_PARAM_GREETING",
                    "hi",
                    "TRAINYARD_PARAM_SHARDS",
                    "3",
                    "FOO",
                    "bar")));
    assertThat(split.pool()).isEqualTo("cpu");
    assertThat(split.timeoutSeconds()).isEqualTo(600);
    assertThat(split.retry()).isEqualTo(new RetrySpec(3, 1, 2));
    assertThat(split.needs()).isEmpty();
    assertThat(split.inputs()).isEmpty();

    PlannedStep work1 = plan.step("work-1").orElseThrow();
    assertThat(work1.body())
        .containsExactly(
            Map.entry("inputs", Map.of("split", token("split.output"))),
            Map.entry("run", "cat $TRAINYARD_INPUT_SPLIT/a.txt > $TRAINYARD_OUTPUT/part-1.txt"),
            Map.entry(
                "env",
                Map.of(
                    "TRAINYARD_PARAM_GREETING",
                    "hi",
                    "TRAINYARD_PARAM_SHARDS",
                    "3",
                    "TRAINYARD_MATRIX_SHARD",
                    "1",
                    "TRAINYARD_INPUT_SPLIT",
                    token("split.output"),
                    "TRAINYARD_INPUTS",
                    List.of(token("split.output")))));
    assertThat(work1.needs()).containsExactly("split");
    assertThat(work1.inputs())
        .containsExactly(InputBinding.ofStep("split.output", "input", "split", "output"));
    assertThat(work1.pool()).isEqualTo("default");
    assertThat(work1.gpus()).isZero();
    assertThat(work1.timeoutSeconds()).isEqualTo(86400);
    assertThat(work1.retry()).isEqualTo(RetrySpec.DEFAULT);

    PlannedStep join = plan.step("join").orElseThrow();
    List<String> tokens =
        List.of(token("work-0.output"), token("work-1.output"), token("work-2.output"));
    assertThat(join.needs()).containsExactly("work-0", "work-1", "work-2");
    assertThat(join.body())
        .containsExactly(
            Map.entry("inputs", tokens),
            Map.entry("run", "xargs cat < $TRAINYARD_INPUTS_FILE > $TRAINYARD_OUTPUT/all.txt"),
            Map.entry(
                "env",
                Map.of(
                    "TRAINYARD_PARAM_GREETING",
                    "hi",
                    "TRAINYARD_PARAM_SHARDS",
                    "3",
                    "TRAINYARD_INPUTS",
                    tokens)));
    assertThat(join.inputs())
        .containsExactly(
            InputBinding.ofStep("work-0.output", "input", "work-0", "output"),
            InputBinding.ofStep("work-1.output", "input", "work-1", "output"),
            InputBinding.ofStep("work-2.output", "input", "work-2", "output"));

    PlannedStep gate = plan.step("gate").orElseThrow();
    assertThat(gate.kind()).isEqualTo("approval");
    assertThat(gate.needs()).containsExactly("join");
    assertThat(gate.body()).containsExactly(Map.entry("message", "looks good?"));
  }

  @Test
  void matrixFansOutOverTheCartesianProductInWrittenOrder() {
    ExecutionPlan plan =
        Pipelines.compile(
            """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: sweep
        steps:
          - id: train
            kind: command
            matrix: {lr: [0.1, 0.01], seed: [1, 2, 3]}
            run: train --lr ${{ matrix.lr }} --seed ${{matrix.seed}}
            env: {SEED: "s${{ matrix.seed }}"}
          - id: pick
            kind: command
            inputs: {runs: "${{ steps.train.outputs.output }}"}
            run: pick --from "$TRAINYARD_INPUT_RUNS_FILE"
        """,
            Map.of());

    assertThat(plan.steps())
        .extracting(s -> s.id() + " " + s.body().get("run"))
        .containsExactly(
            "train-0 train --lr 0.1 --seed 1",
            "train-1 train --lr 0.1 --seed 2",
            "train-2 train --lr 0.1 --seed 3",
            "train-3 train --lr 0.01 --seed 1",
            "train-4 train --lr 0.01 --seed 2",
            "train-5 train --lr 0.01 --seed 3",
            "pick pick --from \"$TRAINYARD_INPUT_RUNS_FILE\"");
    assertThat(plan.step("train-4").orElseThrow().body().get("env"))
        .isEqualTo(
            Map.of("TRAINYARD_MATRIX_LR", "0.01", "TRAINYARD_MATRIX_SEED", "2", "SEED", "s2"));
    assertThat(asMap(plan.step("pick").orElseThrow().body().get("env")).get("TRAINYARD_INPUT_RUNS"))
        .isEqualTo(
            List.of(
                token("train-0.output"),
                token("train-1.output"),
                token("train-2.output"),
                token("train-3.output"),
                token("train-4.output"),
                token("train-5.output")));
    assertThat(plan.step("pick").orElseThrow().needs())
        .containsExactly("train-0", "train-1", "train-2", "train-3", "train-4", "train-5");
  }

  @Test
  void parameterDefaultsApplyAndWholeExpressionsKeepTheirType() {
    String text =
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: typed
        params:
          base:   {type: checkpoint}
          corpus: {type: dataset}
          steps:  {type: int, default: 100}
          lr:     {type: number, default: 0.001}
          tag:    {type: string, default: v1}
          fast:   {type: boolean, default: false}
        steps:
          - id: tune
            kind: sft
            model: ${{ params.base }}
            data: ${{ params.corpus }}
            config:
              max_steps: ${{ params.steps }}
              lr: ${{ params.lr }}
              subset: "run-${{ params.tag }}-${{ params.steps }}-${{ params.fast }}"
        """;
    ExecutionPlan plan =
        Pipelines.compile(text, Map.of("base", BASE_ID, "corpus", CORPUS_ID, "steps", 250.0));

    Map<String, Object> config = asMap(plan.step("tune").orElseThrow().body().get("config"));
    assertThat(config)
        .contains(
            Map.entry("max_steps", 250),
            Map.entry("lr", 0.001),
            Map.entry("subset", "run-v1-250-false"));
    assertThat(config.get("max_steps")).isInstanceOf(Integer.class);
  }

  @Test
  void thePlannedBodyIsTheFullyResolvedStepWithTheKindsDefaultsAndTheModelsArchitecture() {
    ExecutionPlan plan =
        Pipelines.compile(
            """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: resolved
        params:
          corpus: {type: dataset}
        steps:
          - id: pre
            kind: pretrain
            data: ${{ params.corpus }}
            config: {max_steps: 30, lr: 0.01}
          - id: wide
            kind: pretrain
            model: {preset: mini, num_hidden_layers: 2}
            data: ${{ params.corpus }}
          - id: chat
            kind: sft
            model: ${{ steps.pre.outputs.model }}
            data: ${{ params.corpus }}
        """,
            Map.of("corpus", CORPUS_ID));

    Map<String, Object> pre = plan.step("pre").orElseThrow().body();
    assertThat(asMap(pre.get("config")))
        .contains(
            Map.entry("max_steps", 30),
            Map.entry("lr", 0.01),
            Map.entry("batch_size", 16),
            Map.entry("seq_len", 128),
            Map.entry("weight_decay", 0.1),
            Map.entry("warmup_steps", 3L),
            Map.entry("log_every", 1),
            Map.entry("checkpoint_every", 100));
    assertThat(asMap(pre.get("model")))
        .containsEntry("hidden_size", 96)
        .containsEntry("num_hidden_layers", 4);
    assertThat(asMap(plan.step("wide").orElseThrow().body().get("model")))
        .containsEntry("hidden_size", 256)
        .containsEntry("num_hidden_layers", 2)
        .doesNotContainKey("preset");
    Map<String, Object> chat = asMap(plan.step("chat").orElseThrow().body().get("config"));
    assertThat(chat)
        .contains(
            Map.entry("lr", 0.001),
            Map.entry("weight_decay", 0.0),
            Map.entry("max_steps", 200),
            Map.entry("warmup_steps", 20L));
  }

  @Test
  void checkpointParameterBecomesAnArtifactBinding() {
    String text =
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: cpt-then-merge
        params:
          base:   {type: checkpoint}
          chat:   {type: checkpoint}
          corpus: {type: dataset}
        steps:
          - id: cpt
            kind: continual-pretrain
            model: ${{ params.base }}
            data: ${{ params.corpus }}
            resources: {pool: h100, gpus: 1}
            config: {max_steps: 2000, lr: 1.0e-4, warmup_steps: 100}
          - id: merge
            kind: merge
            method: task-arithmetic
            base: ${{ params.base }}
            models:
              - {model: "${{ steps.cpt.outputs.model }}", weight: 1.0}
              - {model: "${{ params.chat }}", weight: 1.0}
          - id: eval
            kind: evaluate
            model: ${{ steps.merge.outputs.model }}
            data: ${{ params.corpus }}
            tasks: [qa]
            gate: {metric: accuracy, min: 0.6}
        """;
    String chatId = "d".repeat(64);
    ExecutionPlan plan =
        Pipelines.compile(text, Map.of("base", BASE_ID, "chat", chatId, "corpus", CORPUS_ID));

    PlannedStep cpt = plan.step("cpt").orElseThrow();
    assertThat(cpt.body().get("model")).isEqualTo(token("params.base"));
    assertThat(cpt.inputs())
        .containsExactly(
            InputBinding.ofArtifact("params.base", "input:model", BASE_ID),
            InputBinding.ofArtifact("params.corpus", "input:data", CORPUS_ID));
    assertThat(cpt.gpus()).isEqualTo(1);
    assertThat(cpt.pool()).isEqualTo("h100");

    PlannedStep merge = plan.step("merge").orElseThrow();
    assertThat(merge.needs()).containsExactly("cpt");
    assertThat(merge.body().get("models"))
        .isEqualTo(
            List.of(
                Map.of("model", token("cpt.model"), "weight", 1.0),
                Map.of("model", token("params.chat"), "weight", 1.0)));
    assertThat(merge.inputs())
        .containsExactly(
            InputBinding.ofArtifact("params.base", "input:base", BASE_ID),
            InputBinding.ofStep("cpt.model", "input:models", "cpt", "model"),
            InputBinding.ofArtifact("params.chat", "input:models", chatId));

    assertThat(plan.step("eval").orElseThrow().needs()).containsExactly("merge");
  }

  @Test
  void stepsAreOrderedTopologicallyKeepingSpecOrderWhereFree() {
    ExecutionPlan plan =
        Pipelines.compile(
            """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: order
        steps:
          - id: last
            kind: command
            needs: [middle]
            run: echo
          - id: first
            kind: command
            run: echo
          - id: middle
            kind: command
            inputs: [ "${{ steps.first.outputs.output }}" ]
            run: cat "$TRAINYARD_INPUTS"
          - id: free
            kind: approval
        """,
            Map.of());
    assertThat(plan.steps())
        .extracting(PlannedStep::id)
        .containsExactly("first", "middle", "last", "free");
  }

  @Test
  void jsonIsAcceptedAsWell() {
    String json =
        """
        {"apiVersion": "trainyard/v1", "kind": "Pipeline", "name": "j",
         "steps": [{"id": "a", "kind": "command", "run": "echo", "timeout": 30, "cache": true}]}
        """;
    PlannedStep step = Pipelines.compile(json, Map.of()).steps().get(0);
    assertThat(step.timeoutSeconds()).isEqualTo(30);
    assertThat(step.body())
        .containsExactly(
            Map.entry("run", "echo"), Map.entry("cache", true), Map.entry("env", Map.of()));
  }

  @Test
  void parametersDeclaredAsCheckpointsKeepTheirType() {
    assertThat(Pipelines.parse(HELLO).param("base").orElseThrow().type())
        .isEqualTo(ParamType.CHECKPOINT);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object value) {
    return (Map<String, Object>) value;
  }

  @Test
  void aStringParameterReachesACommandOnlyAsAnEnvironmentVariable() {
    var plan =
        Pipelines.compile(
            """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: quoting
        params:
          who: {type: string}
          n: {type: int, default: 2}
        steps:
          - id: say
            kind: command
            run: echo "$TRAINYARD_PARAM_WHO" ${{ params.n }}
            env: {WHO: "${{ params.who }}"}
        """,
            Map.of("who", "it's $(rm -rf ~); echo"));
    var body = plan.steps().get(0).body();
    // Only the int is written into the command line; the string stays out of it.
    assertThat(body.get("run")).isEqualTo("echo \"$TRAINYARD_PARAM_WHO\" 2");
    assertThat(asMap(body.get("env")))
        .containsExactly( // environment values are not parsed by a shell
            Map.entry("TRAINYARD_PARAM_WHO", "it's $(rm -rf ~); echo"),
            Map.entry("TRAINYARD_PARAM_N", "2"),
            Map.entry("WHO", "it's $(rm -rf ~); echo"));
  }

  @Test
  void aTrainingStepWithoutRetryGetsThreeAttemptsWhileOtherKindsAndExplicitPoliciesKeepTheirs() {
    ExecutionPlan plan =
        Pipelines.compile(
            """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: train
        params:
          corpus: {type: dataset}
        steps:
          - id: pre
            kind: pretrain
            data: ${{ params.corpus }}
          - id: pinned
            kind: pretrain
            data: ${{ params.corpus }}
            retry: {max_attempts: 1}
          - id: tool
            kind: command
            run: "true"
        """,
            Map.of("corpus", CORPUS_ID));

    assertThat(plan.steps()).extracting(s -> s.retry().maxAttempts()).containsExactly(3, 1, 1);
  }

  @Test
  void aPlannedPruneCarriesTheKindsDefaultsSoTheTensorEngineKeepsNone() {
    ExecutionPlan plan =
        Pipelines.compile(
            """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: prune
        params:
          base: {type: checkpoint}
        steps:
          - id: prune
            kind: prune
            model: ${{ params.base }}
            method: magnitude
        """,
            Map.of("base", BASE_ID));

    assertThat(asMap(plan.step("prune").orElseThrow().body().get("config")))
        .containsExactly(
            Map.entry("sparsity", 0.5),
            Map.entry("scope", "tensor"),
            Map.entry("n", 2),
            Map.entry("m", 4),
            Map.entry("skip", List.of("embed", "norm", "lm_head")),
            Map.entry("max_shard_bytes", 5_000_000_000L),
            Map.entry("seed", 0));
  }

  @Test
  void aMatrixOverExpertCountsPlansOneExpertPruneEachWithAnIntCount() {
    ExecutionPlan plan =
        Pipelines.compile(
            """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: uncurl
        params:
          base: {type: checkpoint}
        steps:
          - id: prune
            kind: prune
            matrix: {k: [6, 2]}
            model: ${{ params.base }}
            method: experts
            config: {experts: "${{ matrix.k }}", rank_by: random}
        """,
            Map.of("base", BASE_ID));

    assertThat(plan.steps())
        .extracting(s -> s.id() + " " + asMap(s.body().get("config")).get("experts"))
        .containsExactly("prune-0 6", "prune-1 2");
    assertThat(asMap(plan.step("prune-1").orElseThrow().body().get("config")).get("experts"))
        .isInstanceOf(Number.class);
  }

  @Test
  void aPlannedUpcycleCarriesTheKindsDefaultsSoTheTensorEngineKeepsNone() {
    ExecutionPlan plan =
        Pipelines.compile(
            """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: moe
        params:
          base: {type: checkpoint}
        steps:
          - id: moe
            kind: upcycle
            model: ${{ params.base }}
            config: {experts: 4}
        """,
            Map.of("base", BASE_ID));

    assertThat(asMap(plan.step("moe").orElseThrow().body().get("config")))
        .containsExactly(
            Map.entry("experts", 4),
            Map.entry("top_k", 2),
            Map.entry("router_init", "zeros"),
            Map.entry("router_std", 0.02),
            Map.entry("noise", 0.0),
            Map.entry("seed", 0),
            Map.entry("aux_loss_coef", 0.001),
            Map.entry("max_shard_bytes", 5_000_000_000L));
  }

  @Test
  void aPlannedEvaluateNamesItsTasksCanonicallySoTheTrainerKnowsNoAliases() {
    ExecutionPlan plan =
        Pipelines.compile(
            """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: eval
        params:
          base: {type: checkpoint}
          corpus: {type: dataset}
        steps:
          - id: eval
            kind: evaluate
            model: ${{ params.base }}
            data: ${{ params.corpus }}
            tasks: [qa, ppl, multiple_choice, pairs]
        """,
            Map.of("base", BASE_ID, "corpus", BASE_ID));

    assertThat(plan.step("eval").orElseThrow().body().get("tasks"))
        .isEqualTo(List.of("exact_match", "perplexity", "multiple_choice", "preference"));
  }
}
