package dev.trainyard.pipeline.kind;

import static dev.trainyard.pipeline.kind.ValueType.ANY;
import static dev.trainyard.pipeline.kind.ValueType.ARTIFACT;
import static dev.trainyard.pipeline.kind.ValueType.ARTIFACT_LIST;
import static dev.trainyard.pipeline.kind.ValueType.BOOLEAN;
import static dev.trainyard.pipeline.kind.ValueType.DURATION;
import static dev.trainyard.pipeline.kind.ValueType.INT;
import static dev.trainyard.pipeline.kind.ValueType.MATRIX;
import static dev.trainyard.pipeline.kind.ValueType.NUMBER;
import static dev.trainyard.pipeline.kind.ValueType.OBJECT;
import static dev.trainyard.pipeline.kind.ValueType.OBJECT_LIST;
import static dev.trainyard.pipeline.kind.ValueType.PRESET_OR_CONFIG;
import static dev.trainyard.pipeline.kind.ValueType.SOURCES;
import static dev.trainyard.pipeline.kind.ValueType.STRING;
import static dev.trainyard.pipeline.kind.ValueType.STRING_LIST;
import static dev.trainyard.pipeline.kind.ValueType.STRING_MAP;

import dev.trainyard.workflow.FailureType;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The catalogue of step kinds and of the fields every step may carry. */
public final class StepKinds {
  private StepKinds() {}

  public static final String ID_PATTERN = "[a-z][a-z0-9-]{0,62}";
  public static final String POOL_PATTERN = "[a-z0-9-]+";
  public static final int MAX_GPUS = 64;
  public static final int MAX_PROCESSES = 64;
  public static final int MAX_NODES = 64;

  /**
   * Fields allowed on every step whatever its kind; they steer scheduling rather than the step's
   * work.
   */
  public static final Map<String, StepField> COMMON_FIELDS =
      Kinds.byName(
          StepField.required("id", STRING, "unique step id")
              .withConstraint(Constraint.matching(ID_PATTERN)),
          StepField.required("kind", STRING, "the step kind"),
          StepField.optional("needs", STRING_LIST, "ids of steps that must succeed first"),
          StepField.optional("resources", OBJECT, "where the step runs")
              .withEntries(
                  Kinds.byName(
                      ConfigKey.optional(
                          "pool",
                          STRING,
                          Constraint.matching(POOL_PATTERN),
                          "worker pool, default 'default'"),
                      ConfigKey.optional(
                          "gpus",
                          INT,
                          Constraint.between(0, MAX_GPUS),
                          "GPUs on one host, default 0"),
                      ConfigKey.optional(
                          "processes",
                          INT,
                          Constraint.between(1, MAX_PROCESSES),
                          "trainer processes (DDP ranks under torchrun) on each host of a training step, default gpus when above 1, else 1; with GPUs, one per GPU"),
                      ConfigKey.optional(
                          "nodes",
                          INT,
                          Constraint.between(1, MAX_NODES),
                          "hosts of a multi-node DDP training step, default 1; needs rendezvous"),
                      ConfigKey.optional(
                          "rendezvous",
                          STRING,
                          Constraint.NONE,
                          "host:port of the c10d rendezvous of a multi-node step (on one of its hosts)"))),
          StepField.optional(
              "timeout", DURATION, "limit of one attempt: seconds or 90s/10m/2h, default 24h"),
          StepField.optional("retry", OBJECT, "retry policy of failed attempts")
              .withEntries(
                  Kinds.byName(
                      ConfigKey.optional(
                          "max_attempts",
                          INT,
                          Constraint.between(1, 100),
                          "attempts including the first"),
                      ConfigKey.optional(
                          "backoff_seconds", NUMBER, Constraint.atLeast(0), "first delay"),
                      ConfigKey.optional(
                          "backoff_multiplier",
                          NUMBER,
                          Constraint.atLeast(1),
                          "delay growth per attempt"))),
          StepField.optional(
              "matrix", MATRIX, "fan out: one step per combination of the listed values"),
          StepField.optional(
              "cache", BOOLEAN, "reuse a recorded result with the same inputs and config"),
          StepField.optional("description", STRING, "free text"));

  /**
   * Keys of {@code config:} of the training kinds, with the defaults the planner writes into
   * step.json (the trainer has none of its own). {@code lr} and {@code weight_decay} differ by
   * kind.
   */
  private static List<ConfigKey> trainingConfig(double lr, double weightDecay, boolean replays) {
    var keys =
        new java.util.ArrayList<>(
            List.of(
                ConfigKey.optional("max_steps", INT, Constraint.positive(), "optimizer steps")
                    .withDefault(200),
                ConfigKey.optional("lr", NUMBER, Constraint.positive(), "peak learning rate")
                    .withDefault(lr),
                ConfigKey.optional(
                        "warmup_steps", INT, Constraint.atLeast(0), "linear warm-up steps")
                    .withDefault(
                        new ValueSchema.Derived(
                            "min(100, max_steps / 10)",
                            c ->
                                c.get("max_steps") instanceof Number n
                                    ? Math.min(100, n.longValue() / 10)
                                    : null)),
                ConfigKey.optional(
                        "batch_size", INT, Constraint.positive(), "sequences per micro-batch")
                    .withDefault(16),
                // A window must hold an input and the token it predicts.
                ConfigKey.optional("seq_len", INT, Constraint.atLeast(2), "tokens per sequence")
                    .withDefault(128),
                ConfigKey.optional("seed", INT, Constraint.NONE, "random seed").withDefault(0),
                ConfigKey.optional(
                    "eval_every",
                    INT,
                    Constraint.positive(),
                    "steps between evaluations on eval_data, recorded as the eval_loss curve (step 0, before any update, and the last step are always evaluated)"),
                ConfigKey.optional(
                    "eval_subset",
                    STRING,
                    Constraint.NONE,
                    "file of the eval dataset, or split of eval token shards (default eval when they have one)"),
                ConfigKey.optional(
                        "checkpoint_every", INT, Constraint.positive(), "steps between checkpoints")
                    .withDefault(100),
                ConfigKey.optional(
                        "grad_accum",
                        INT,
                        Constraint.positive(),
                        "micro-batches per optimizer step")
                    .withDefault(1),
                ConfigKey.optional(
                        "weight_decay", NUMBER, Constraint.atLeast(0), "AdamW weight decay")
                    .withDefault(weightDecay),
                ConfigKey.optional(
                        "min_lr_ratio",
                        NUMBER,
                        Constraint.between(0, 1),
                        "cosine floor as a share of lr")
                    .withDefault(0.1),
                ConfigKey.optional("grad_clip", NUMBER, Constraint.positive(), "gradient norm clip")
                    .withDefault(1.0),
                ConfigKey.optional(
                        "log_every", INT, Constraint.positive(), "steps between metrics lines")
                    .withDefault(
                        new ValueSchema.Derived(
                            "1, or 10 beyond 2000 max_steps",
                            c ->
                                c.get("max_steps") instanceof Number n
                                    ? (n.longValue() <= 2000 ? 1 : 10)
                                    : null)),
                ConfigKey.optional(
                    "subset",
                    STRING,
                    Constraint.NONE,
                    "file of the dataset to train on, or split of token shards (default train)"),
                ConfigKey.optional(
                    "precision",
                    STRING,
                    Constraint.oneOf("auto", "bf16", "fp32"),
                    "compute precision, default auto"),
                ConfigKey.optional(
                    "save_dtype",
                    STRING,
                    Constraint.oneOf("fp32", "bf16", "fp16"),
                    "dtype of the written checkpoint's weights (safetensors and config.json torch_dtype), default the base's; not with an adapter"),
                ConfigKey.optional(
                    "compile",
                    ANY,
                    Constraint.NONE,
                    "torch.compile: true, false or \"auto\" (default)"),
                ConfigKey.optional(
                    "device",
                    STRING,
                    Constraint.oneOf("auto", "cpu"),
                    "where to train, default auto"),
                ConfigKey.optional(
                    "cpu_threads",
                    INT,
                    Constraint.positive(),
                    "torch threads on CPU, default $TRAINYARD_CPU_THREADS or 2")));
    if (replays) {
      // Only the language-modelling objective mixes in replayed documents.
      keys.add(8, REPLAY);
    }
    return List.copyOf(keys);
  }

  /** Held-out data of a training step, scored with the step's own objective while it trains. */
  private static final StepField EVAL_DATA =
      StepField.optional(
              "eval_data",
              ARTIFACT,
              "held-out dataset or token shards scored with the training objective every config.eval_every steps and at the end")
          .accepting(ArtifactType.DATASET, ArtifactType.FILES, ArtifactType.TOKENS);

  /** The modules a LoRA adapter wraps by default: every projection of a Llama-style block. */
  public static final List<String> LORA_TARGET_MODULES =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  /**
   * {@code adapter:} of sft and dpo: train a LoRA adapter on the frozen base instead of every
   * weight, written in PEFT's layout (adapter_config.json, adapter_model.safetensors). The planner
   * writes each default into step.json, so the trainer keeps none of its own.
   */
  public static final StepField ADAPTER =
      StepField.optional(
              "adapter",
              OBJECT,
              "train a LoRA adapter on the frozen base instead of the whole model; the output is then `adapter`")
          .withEntries(
              Kinds.byName(
                  ConfigKey.optional("type", STRING, Constraint.oneOf("lora"), "adapter type")
                      .withDefault("lora"),
                  ConfigKey.optional("r", INT, Constraint.positive(), "rank of the update B·A")
                      .withDefault(8),
                  ConfigKey.optional(
                          "alpha",
                          NUMBER,
                          Constraint.positive(),
                          "scale: the update is alpha/r·B·A")
                      .withDefault(16),
                  ConfigKey.optional(
                          "dropout",
                          NUMBER,
                          new Constraint(0.0, false, 1.0, true, List.of(), null),
                          "dropout on the adapter's input")
                      .withDefault(0.0),
                  ConfigKey.optional(
                          "target_modules",
                          STRING_LIST,
                          Constraint.NONE,
                          "names of the linear modules that get an adapter")
                      .withDefault(LORA_TARGET_MODULES)));

  /** Outputs of sft and dpo: a checkpoint, or with {@code adapter:} only the adapter. */
  private static StepKind.Builder adaptable(StepKind.Builder kind) {
    return kind.field(ADAPTER)
        .output(Output.without("adapter", "model", ArtifactType.CHECKPOINT))
        .output(Output.with("adapter", "adapter", ArtifactType.ADAPTER))
        .check(StepKinds::checkAdapter);
  }

  /** An adapter wraps at least one module. */
  private static void checkAdapter(
      Map<String, Object> body, java.util.function.BiConsumer<String, String> problem) {
    if (body.get("adapter") instanceof Map<?, ?> adapter
        && adapter.get("target_modules") instanceof List<?> modules
        && modules.isEmpty()) {
      problem.accept("adapter.target_modules", "must name at least one module");
    }
  }

  /** Most sources of one mixture: each is read and held by the trainer. */
  public static final int MAX_SOURCES = 16;

  /**
   * The data of a training kind: one artifact, or a mixture of weighted sources (the trainer's
   * sampler, docs/trainer.md "Mixtures").
   */
  private static StepField trainingData(String description) {
    return StepField.required("data", SOURCES, description)
        .accepting(ArtifactType.DATASET, ArtifactType.FILES, ArtifactType.TOKENS)
        .withEntries(
            Kinds.byName(
                ConfigKey.required("dataset", ARTIFACT, Constraint.NONE, "dataset or token shards")
                    .accepting(ArtifactType.DATASET, ArtifactType.FILES, ArtifactType.TOKENS),
                ConfigKey.optional(
                        "weight",
                        NUMBER,
                        Constraint.positive(),
                        "share of training sequences, normalised over the sources")
                    .withDefault(1.0),
                ConfigKey.optional(
                    "subset",
                    STRING,
                    Constraint.NONE,
                    "file of the dataset, or split of the token shards (default train)"),
                ConfigKey.optional(
                    "max_epochs",
                    NUMBER,
                    Constraint.positive(),
                    "passes over the source at most (a fraction is part of one); then its weight goes to the others"),
                ConfigKey.optional(
                    "name",
                    STRING,
                    Constraint.matching("[A-Za-z0-9._:-]{1,64}"),
                    "name in the metrics (mix/NAME/tokens), default the input and subset")));
  }

  private static final ConfigKey REPLAY =
      ConfigKey.optional(
              "replay",
              OBJECT,
              Constraint.NONE,
              "mix in earlier data against forgetting: a second source of weight ratio, the data's scaled to 1 - ratio")
          .withEntries(
              Kinds.byName(
                  ConfigKey.required("dataset", ARTIFACT, Constraint.NONE, "replayed dataset")
                      .accepting(ArtifactType.DATASET, ArtifactType.FILES, ArtifactType.TOKENS),
                  // Below 1: a step that replays only would never read its own data.
                  ConfigKey.required(
                      "ratio",
                      NUMBER,
                      new Constraint(0.0, false, 1.0, true, List.of(), null),
                      "share of replayed data"),
                  ConfigKey.optional(
                      "subset", STRING, Constraint.NONE, "file of the replayed dataset")));

  /**
   * Architectures a {@code pretrain} step may name as {@code model:} (Llama layout, the trainer's
   * byte tokenizer). The planner writes the full architecture into step.json, so the trainer keeps
   * no list.
   */
  public static final Map<String, Map<String, Object>> MODEL_PRESETS =
      Kinds.inOrder(
          // ~0.46M parameters: learns 2-digit addition on 2 CPU cores in minutes.
          "tiny", architecture(96, 256, 4, 4, 2, 256),
          "mini", architecture(256, 688, 6, 8, 4, 1024),
          "small", architecture(512, 1376, 8, 8, 4, 2048),
          "125m", architecture(768, 2048, 12, 12, 12, 2048),
          "350m", architecture(1024, 2816, 24, 16, 8, 2048));

  private static Map<String, Object> architecture(
      int hidden, int intermediate, int layers, int heads, int kvHeads, int positions) {
    var map = new LinkedHashMap<String, Object>();
    map.put("hidden_size", hidden);
    map.put("intermediate_size", intermediate);
    map.put("num_hidden_layers", layers);
    map.put("num_attention_heads", heads);
    map.put("num_key_value_heads", kvHeads);
    map.put("max_position_embeddings", positions);
    return java.util.Collections.unmodifiableMap(map);
  }

  public static final List<String> MERGE_METHODS =
      List.of(
          "linear",
          "task-arithmetic",
          "ties",
          "dare",
          "dare_ties",
          "dare_linear",
          "slerp",
          "model-stock",
          "breadcrumbs",
          "breadcrumbs_ties",
          "lora",
          MergeRules.MOE_EXPERTS);

  public static final List<String> PRUNE_METHODS =
      List.of("magnitude", "nm", "width", PruneRules.EXPERTS);

  /** Largest safetensors shard the tensor engine writes by default (5 GB, as Hugging Face does). */
  private static final long MAX_SHARD_BYTES = 5L * 1000 * 1000 * 1000;

  /** The tensor engine's shard size, shared by every kind that writes a checkpoint in Java. */
  private static final ConfigKey SHARD_BYTES =
      ConfigKey.optional("max_shard_bytes", INT, Constraint.positive(), "bytes per output shard")
          .withDefault(MAX_SHARD_BYTES);

  /** Failure types every worker-run kind may raise (see {@code StepActivitiesImpl}). */
  private static final List<FailureType> WORKER_FAILURES =
      List.of(
          FailureType.KIND_NOT_SUPPORTED,
          FailureType.INVALID_STEP,
          FailureType.INPUT_MISSING,
          FailureType.INVALID_INPUT,
          FailureType.INVALID_OUTPUT,
          FailureType.INSUFFICIENT_GPUS,
          FailureType.STEP_FAILED,
          FailureType.STEP_TIMED_OUT,
          FailureType.WORKER_IO_ERROR,
          FailureType.WORKER_SHUTDOWN,
          FailureType.ARTIFACT_STORE_FAILED);

  private static final List<FailureType> TRAINER_FAILURES = List.of(FailureType.RUNTIME_MISSING);

  /**
   * Training resumes from its last checkpoint, so a lost worker costs one interval, not the run.
   */
  private static final int TRAINING_ATTEMPTS = 3;

  public static final StepKind COMMAND =
      StepKind.builder("command", Execution.WORKER_PROCESS)
          .description(
              "Runs a shell command (any trainer or script); files written to $TRAINYARD_OUTPUT become its output.")
          .field(StepField.required("run", STRING, "shell command"))
          .field(StepField.optional("env", STRING_MAP, "extra environment variables"))
          .field(
              StepField.optional(
                  "inputs", ANY, "artifact references the command reads; ${{ inputs }} in run"))
          .field(
              StepField.optional(
                      "output_type",
                      STRING,
                      "what the output is: files (default), or checkpoint or adapter when the command "
                          + "is your own trainer: then its Hugging Face layout is checked when it ends, "
                          + "and a retried attempt resumes from $TRAINYARD_CHECKPOINTS (docs/byot.md)")
                  .withConstraint(
                      Constraint.oneOf(
                          ArtifactType.FILES.wireName(),
                          ArtifactType.CHECKPOINT.wireName(),
                          ArtifactType.ADAPTER.wireName())))
          .output(new Output("output", ArtifactType.FILES, "output_type"))
          .runsUserCode()
          .failures(WORKER_FAILURES)
          .inputRole("input")
          .shellField("run")
          .example(
              """
          - id: hello
            kind: command
            run: echo "hello from ${TRAINYARD_STEP_ID}" > "$TRAINYARD_OUTPUT/hello.txt"
          """)
          .build();

  public static final StepKind PRETRAIN =
      fullTraining(
              "pretrain",
              "Pretrains a model from scratch.",
              StepField.optional(
                      "model",
                      PRESET_OR_CONFIG,
                      "model preset name ("
                          + String.join(", ", MODEL_PRESETS.keySet())
                          + ") or architecture config, optionally {preset: NAME, <overrides>}")
                  .withDefault("tiny"),
              3e-3,
              0.1,
              true)
          .runner("init", "scratch")
          .runner("objective", "language-modeling")
          .check(StepKinds::checkModelType)
          .example(
              """
          - id: pretrain
            kind: pretrain
            model: tiny
            data: ${{ params.corpus }}
            config: {max_steps: 200, lr: 3.0e-3}
          """)
          .build();

  public static final StepKind CONTINUAL_PRETRAIN =
      fullTraining(
              "continual-pretrain",
              "Continues pretraining a checkpoint on new data.",
              StepField.required("model", ARTIFACT, "checkpoint to start from")
                  .accepting(ArtifactType.CHECKPOINT),
              1e-3,
              0.1,
              true)
          .runner("init", "checkpoint")
          .runner("objective", "language-modeling")
          .example(
              """
          - id: cpt
            kind: continual-pretrain
            model: ${{ params.base }}
            data: ${{ params.corpus }}
            config: {max_steps: 2000, lr: 1.0e-4, warmup_steps: 100}
          """)
          .build();

  public static final StepKind SFT =
      training(
              "sft",
              "Supervised fine-tuning on instruction data.",
              StepField.required("model", ARTIFACT, "checkpoint to fine-tune")
                  .accepting(ArtifactType.CHECKPOINT),
              1e-3,
              0.0,
              false)
          .apply(StepKinds::adaptable)
          .runner("init", "checkpoint")
          .runner("objective", "sft")
          .runner("chat", true)
          .example(
              """
          - id: sft
            kind: sft
            model: ${{ steps.cpt.outputs.model }}
            data: ${{ params.instructions }}
            config: {max_steps: 300}
          """)
          .build();

  public static final StepKind DPO =
      StepKind.builder("dpo", Execution.WORKER_TRAINER)
          .description("Direct preference optimisation on chosen/rejected pairs.")
          .field(
              StepField.required("model", ARTIFACT, "policy checkpoint")
                  .accepting(ArtifactType.CHECKPOINT))
          .field(trainingData("preference dataset, or a mixture of them"))
          .field(
              StepField.optional(
                      "reference",
                      ARTIFACT,
                      "reference checkpoint, default the policy's start (with adapter: the frozen base itself)")
                  .accepting(ArtifactType.CHECKPOINT))
          .field(EVAL_DATA)
          .field(config(dpoConfig()))
          .check(StepKinds::checkEvalEvery)
          .check(StepKinds::checkSources)
          .apply(StepKinds::adaptable)
          .failures(WORKER_FAILURES)
          .failures(TRAINER_FAILURES)
          .defaultAttempts(TRAINING_ATTEMPTS)
          .resumable()
          .runner("entry", "train")
          .runner("init", "checkpoint")
          .runner("objective", "dpo")
          .runner("chat", true)
          .example(
              """
          - id: dpo
            kind: dpo
            model: ${{ steps.sft.outputs.model }}
            data: ${{ params.preferences }}
            config: {max_steps: 100, beta: 0.1}
          """)
          .build();

  public static final StepKind MERGE =
      StepKind.builder("merge", Execution.WORKER_JAVA)
          .description(
              "Merges checkpoints tensor by tensor, or folds LoRA adapters into their base (method lora).")
          .field(
              StepField.required("method", STRING, "merge method")
                  .withConstraint(Constraint.oneOf(MERGE_METHODS.toArray(String[]::new))))
          .field(
              StepField.optional(
                      "base", ARTIFACT, "base checkpoint for task-vector methods and lora")
                  .accepting(ArtifactType.CHECKPOINT))
          .field(
              StepField.optional(
                      "profile",
                      ARTIFACT,
                      "routing profile of the one Mixtral in models (moe-experts; a route-stats output)")
                  .accepting(ArtifactType.ROUTING_PROFILE))
          .field(
              StepField.required(
                      "models", OBJECT_LIST, "checkpoints to merge, or (lora) adapters to fold in")
                  .withEntries(
                      Kinds.byName(
                          ConfigKey.required(
                                  "model",
                                  ARTIFACT,
                                  Constraint.NONE,
                                  "checkpoint, or adapter (lora only)")
                              .accepting(ArtifactType.CHECKPOINT, ArtifactType.ADAPTER),
                          // Numbers, or per-tensor-pattern lists [{filter, value}] as mergekit
                          // writes them.
                          ConfigKey.optional("weight", ANY, Constraint.NONE, "mixing weight"),
                          ConfigKey.optional(
                              "density",
                              ANY,
                              Constraint.NONE,
                              "kept share (ties/dare/breadcrumbs)"),
                          ConfigKey.optional(
                              "gamma",
                              NUMBER,
                              Constraint.between(0, 1),
                              "largest share dropped (breadcrumbs)"))))
          .field(
              config(
                  List.of(
                      ConfigKey.optional(
                          "dtype",
                          STRING,
                          Constraint.oneOf("float32", "float16", "bfloat16"),
                          "dtype of the merged tensors"),
                      ConfigKey.optional(
                          "normalize", BOOLEAN, Constraint.NONE, "normalise weights to sum 1"),
                      ConfigKey.optional(
                          "t",
                          ANY,
                          Constraint.NONE,
                          "interpolation factor (slerp), or per-pattern list"),
                      ConfigKey.optional(
                          "lambda", ANY, Constraint.NONE, "task-vector scale, or per-pattern list"),
                      ConfigKey.optional(
                          "rescale",
                          BOOLEAN,
                          Constraint.NONE,
                          "rescale kept deltas by 1/density (dare)"),
                      ConfigKey.optional(
                          "variant",
                          STRING,
                          Constraint.oneOf("linear", "ties"),
                          "dare/breadcrumbs flavour"),
                      ConfigKey.optional(
                          "experts",
                          INT,
                          Constraint.atLeast(1),
                          "dominant experts kept per layer (moe-experts)"),
                      ConfigKey.optional(
                          "weighting",
                          STRING,
                          Constraint.oneOf("frequency", "uniform"),
                          "moe-experts: average a group by routing frequency (default) or uniformly"),
                      ConfigKey.optional(
                          "group_by",
                          STRING,
                          Constraint.oneOf("router-logits", "weights"),
                          "moe-experts: similarity that joins an expert to its dominant one, router-logit"
                              + " similarity from the profile (default) or cosine of the weights"),
                      ConfigKey.optional(
                          "align",
                          BOOLEAN,
                          Constraint.NONE,
                          "moe-experts: permute each expert's hidden units to match its dominant expert"
                              + " before averaging (default false)"),
                      ConfigKey.optional(
                          "rank",
                          INT,
                          Constraint.atLeast(1),
                          "moe-experts: compress each merged expert's w1/w2/w3 to this rank by SVD"),
                      SHARD_BYTES,
                      ConfigKey.optional("seed", INT, Constraint.NONE, "random seed (dare)")
                          .withDefault(0))))
          .check(MergeRules.RULES)
          .output("model", ArtifactType.CHECKPOINT)
          .failures(WORKER_FAILURES)
          .example(
              """
          - id: merge
            kind: merge
            method: task-arithmetic
            base: ${{ params.base }}
            models:
              - {model: "${{ steps.cpt.outputs.model }}", weight: 1.0}
              - {model: "${{ params.chat }}", weight: 1.0}
          """)
          .build();

  public static final StepKind PRUNE =
      StepKind.builder("prune", Execution.WORKER_JAVA)
          .description("Removes weights or layers from a checkpoint.")
          .field(
              StepField.required("model", ARTIFACT, "checkpoint to prune")
                  .accepting(ArtifactType.CHECKPOINT))
          .field(
              StepField.required("method", STRING, "pruning method")
                  .withConstraint(Constraint.oneOf(PRUNE_METHODS.toArray(String[]::new))))
          .field(
              StepField.optional(
                      "profile",
                      ARTIFACT,
                      "routing profile of the model (experts; a route-stats output), not needed for"
                          + " rank_by random")
                  .accepting(ArtifactType.ROUTING_PROFILE))
          .field(
              config(
                  List.of(
                      ConfigKey.optional(
                              "sparsity",
                              NUMBER,
                              Constraint.between(0, 1),
                              "share of weights removed")
                          .withDefault(0.5),
                      ConfigKey.optional(
                              "scope",
                              STRING,
                              Constraint.oneOf("tensor", "global"),
                              "threshold per tensor or global")
                          .withDefault("tensor"),
                      ConfigKey.optional(
                              "n", INT, Constraint.positive(), "N of N:M (kept per group)")
                          .withDefault(2),
                      ConfigKey.optional("m", INT, Constraint.positive(), "M of N:M (group size)")
                          .withDefault(4),
                      ConfigKey.optional(
                              "skip",
                              STRING_LIST,
                              Constraint.NONE,
                              "tensor-name substrings left dense (1-D tensors always are)")
                          .withDefault(List.of("embed", "norm", "lm_head")),
                      ConfigKey.optional(
                          "mlp_ratio",
                          NUMBER,
                          Constraint.between(0, 1),
                          "share of MLP channels removed (width)"),
                      ConfigKey.optional(
                          "heads_ratio",
                          NUMBER,
                          Constraint.between(0, 1),
                          "share of attention head groups removed (width)"),
                      ConfigKey.optional(
                          "experts",
                          ANY,
                          Constraint.NONE,
                          "experts kept per layer (experts): an int, or a list with one per layer"),
                      ConfigKey.optional(
                          "rank_by",
                          STRING,
                          Constraint.oneOf(PruneRules.RANKINGS.toArray(String[]::new)),
                          "experts: rank by routing frequency (default), gate-weighted output norm"
                              + " (gate-norm), or at random (a baseline, from seed)"),
                      SHARD_BYTES,
                      ConfigKey.optional("seed", INT, Constraint.NONE, "random seed")
                          .withDefault(0))))
          .check(PruneRules::check)
          .output("model", ArtifactType.CHECKPOINT)
          .failures(WORKER_FAILURES)
          .example(
              """
          - id: prune
            kind: prune
            model: ${{ steps.merge.outputs.model }}
            method: magnitude
            config: {sparsity: 0.5}
          """)
          .build();

  /** Dense families {@code upcycle} turns into Mixtral: same attention, norms and SwiGLU MLP. */
  public static final List<String> UPCYCLE_SOURCES = List.of("llama", "mistral");

  public static final StepKind UPCYCLE =
      StepKind.builder("upcycle", Execution.WORKER_JAVA)
          .description(
              "Turns a dense llama or mistral checkpoint into a Mixtral mixture of experts: every "
                  + "expert a copy of the layer's MLP (plus optional noise) and a new router, so "
                  + "with identical experts the model computes the dense function.")
          .field(
              StepField.required("model", ARTIFACT, "dense checkpoint to upcycle")
                  .accepting(ArtifactType.CHECKPOINT))
          .field(
              // Required, unlike other kinds' config: experts has no default.
              StepField.required("config", OBJECT, "kind-specific settings")
                  .withEntries(
                      Kinds.byName(
                          ConfigKey.required(
                              "experts", INT, Constraint.between(2, 64), "experts per layer (N)"),
                          ConfigKey.optional(
                                  "top_k", INT, Constraint.atLeast(1), "experts per token (k ≤ N)")
                              .withDefault(2),
                          ConfigKey.optional(
                                  "router_init",
                                  STRING,
                                  Constraint.oneOf("zeros", "normal"),
                                  "router weights: zeros (uniform routing) or normal(0, router_std)")
                              .withDefault("zeros"),
                          ConfigKey.optional(
                                  "router_std",
                                  NUMBER,
                                  Constraint.positive(),
                                  "std of the normal router init")
                              .withDefault(0.02),
                          ConfigKey.optional(
                                  "noise",
                                  NUMBER,
                                  Constraint.atLeast(0),
                                  "std of gaussian noise on experts 1..N-1, relative to each tensor's std")
                              .withDefault(0.0),
                          ConfigKey.optional("seed", INT, Constraint.NONE, "random seed")
                              .withDefault(0),
                          ConfigKey.optional(
                                  "aux_loss_coef",
                                  NUMBER,
                                  Constraint.atLeast(0),
                                  "load-balancing loss weight (router_aux_loss_coef; transformers' Mixtral default)")
                              .withDefault(0.001),
                          SHARD_BYTES)))
          .check(StepKinds::checkUpcycleTopK)
          .output("model", ArtifactType.CHECKPOINT)
          .failures(WORKER_FAILURES)
          .example(
              """
          - id: upcycle
            kind: upcycle
            model: ${{ params.base }}
            config: {experts: 8, top_k: 2}
          """)
          .build();

  /** A token cannot be routed to more experts than a layer has. */
  private static void checkUpcycleTopK(
      Map<String, Object> body, java.util.function.BiConsumer<String, String> problem) {
    if (body.get("config") instanceof Map<?, ?> config
        && config.get("experts") instanceof Number n
        && config.get("top_k") instanceof Number k
        && k.longValue() > n.longValue()) {
      problem.accept("config.top_k", "must be at most config.experts (" + n + "), got " + k);
    }
  }

  /** Default size of one token shard: 64 MiB of token ids (docs/tokens-format: shards). */
  public static final long TOKEN_SHARD_BYTES = 64L * 1024 * 1024;

  public static final StepKind TOKENIZE =
      StepKind.builder("tokenize", Execution.WORKER_JAVA)
          .description(
              "Turns a dataset into packed token shards (uint16/uint32 ids, loss masks, document "
                  + "offsets, tokens.json) with the Hugging Face tokenizers library; chat records are "
                  + "rendered by the tokenizer's own chat template, with loss on assistant turns only.")
          .field(
              StepField.required("data", ARTIFACT, "dataset to tokenize")
                  .accepting(ArtifactType.DATASET, ArtifactType.FILES))
          .field(
              StepField.required(
                      "tokenizer",
                      ARTIFACT,
                      "checkpoint, or tokenizer registered as a dataset (format tokenizer), holding "
                          + "tokenizer.json (and tokenizer_config.json, whose chat_template renders chat records)")
                  .accepting(
                      ArtifactType.CHECKPOINT,
                      ArtifactType.DATASET,
                      ArtifactType.FILES,
                      ArtifactType.TOKENS))
          .field(
              config(
                  List.of(
                      ConfigKey.optional(
                          "subset", STRING, Constraint.NONE, "file of the dataset to tokenize"),
                      ConfigKey.optional(
                              "records",
                              STRING,
                              Constraint.oneOf("auto", "text", "chat"),
                              "text documents, chat messages, or auto: detected from the first record")
                          .withDefault("auto"),
                      ConfigKey.optional(
                              "add_eos",
                              BOOLEAN,
                              Constraint.NONE,
                              "end every text document with the tokenizer's eos token (chat: the template ends each turn)")
                          .withDefault(true),
                      ConfigKey.optional(
                              "eval_fraction",
                              NUMBER,
                              new Constraint(0.0, false, 1.0, true, List.of(), null),
                              "share of documents held out in the eval split, drawn by seed")
                          .withDefault(0.05),
                      ConfigKey.optional(
                              "seed", INT, Constraint.NONE, "seed of the train/eval draw")
                          .withDefault(0),
                      ConfigKey.optional(
                              "shard_bytes",
                              INT,
                              Constraint.positive(),
                              "token bytes per shard; shards are cut at document boundaries")
                          .withDefault(TOKEN_SHARD_BYTES),
                      ConfigKey.optional(
                          "max_tokens_per_doc",
                          INT,
                          Constraint.positive(),
                          "crop longer documents to this many tokens (default: no crop)"))))
          .output("tokens", ArtifactType.TOKENS)
          .failures(WORKER_FAILURES)
          .failures(TRAINER_FAILURES)
          // The worker's runner for WORKER_JAVA kinds reads this instead of the kind's name.
          .runner("engine", "tokenizers")
          .example(
              """
          - id: tokenize
            kind: tokenize
            data: ${{ params.chats }}
            tokenizer: ${{ params.base }}
            config: {records: chat, eval_fraction: 0.05}
          """)
          .build();

  /**
   * The evaluate kind's tasks (with their short names) and the pooled metrics each reports; a
   * report also has {@code <file>/<metric>} per eval file. {@code accuracy} is exact_match where
   * there is one, else multiple_choice.
   */
  public static final Map<String, List<String>> EVAL_TASKS =
      Kinds.inOrder(
          "perplexity", List.of("perplexity", "loss"),
          "exact_match", List.of("exact_match", "accuracy"),
          "multiple_choice", List.of("multiple_choice", "accuracy"),
          "preference", List.of("preference_accuracy", "preference_margin"));

  public static final Map<String, String> EVAL_TASK_ALIASES =
      Map.of(
          "ppl", "perplexity", "qa", "exact_match", "mc", "multiple_choice", "pairs", "preference");

  public static final StepKind EVALUATE =
      StepKind.builder("evaluate", Execution.WORKER_TRAINER)
          .description(
              "Scores a checkpoint on tasks; an optional gate fails the step when the metric misses its bounds, absolute (min, max) or relative to other reports (beat).")
          .field(
              StepField.required("model", ARTIFACT, "checkpoint to evaluate")
                  .accepting(ArtifactType.CHECKPOINT))
          .field(
              StepField.optional(
                      "adapter",
                      ARTIFACT,
                      "a LoRA adapter evaluated on model, its base (without merging it)")
                  .accepting(ArtifactType.ADAPTER))
          .field(
              StepField.required("data", ARTIFACT, "evaluation dataset: one task per file")
                  .accepting(ArtifactType.DATASET, ArtifactType.FILES))
          .field(
              StepField.optional(
                  "tasks",
                  STRING_LIST,
                  "tasks to run (default every task found in data): "
                      + String.join(", ", EVAL_TASKS.keySet())
                      + " (or ppl, qa, mc, pairs)"))
          .field(
              StepField.optional("gate", OBJECT, "pass/fail bound on one metric")
                  .withEntries(
                      Kinds.byName(
                          ConfigKey.required(
                              "metric",
                              STRING,
                              Constraint.NONE,
                              "a metric the tasks measure, or FILE/METRIC"),
                          ConfigKey.optional(
                              "min", NUMBER, Constraint.NONE, "lowest passing value"),
                          ConfigKey.optional(
                              "max", NUMBER, Constraint.NONE, "highest passing value"),
                          ConfigKey.optional(
                                  "beat",
                                  ARTIFACT_LIST,
                                  Constraint.NONE,
                                  "other evaluate steps' reports (e.g. ${{ steps.ID.outputs.report[*] }}): passes when the metric is at least their best value + margin (mode max), or at most their best − margin (mode min)")
                              .accepting(ArtifactType.REPORT),
                          ConfigKey.optional(
                                  "margin",
                                  NUMBER,
                                  Constraint.NONE,
                                  "with beat: how far past the best referenced value the metric must be (0: a tie passes)")
                              .withDefault(0.0),
                          ConfigKey.optional(
                                  "mode",
                                  STRING,
                                  Constraint.oneOf("max", "min"),
                                  "with beat: max when higher is better, min for loss or perplexity")
                              .withDefault("max"))))
          .field(
              config(
                  List.of(
                      ConfigKey.optional(
                              "batch_size", INT, Constraint.positive(), "sequences per batch")
                          .withDefault(32),
                      ConfigKey.optional(
                          "max_samples", INT, Constraint.positive(), "cap on examples per task"),
                      ConfigKey.optional(
                              "max_new_tokens",
                              INT,
                              Constraint.positive(),
                              "generation length (exact match)")
                          .withDefault(16),
                      ConfigKey.optional(
                              "chat",
                              ANY,
                              Constraint.NONE,
                              "use the chat template: true, false or \"auto\"")
                          .withDefault("auto"),
                      ConfigKey.optional(
                          "subset", STRING, Constraint.NONE, "file of the evaluation dataset"),
                      ConfigKey.optional(
                          "seq_len",
                          INT,
                          Constraint.positive(),
                          "tokens per sequence, default the model's context up to 256 (known only once the model is read)"),
                      ConfigKey.optional("seed", INT, Constraint.NONE, "random seed"))))
          .output("report", ArtifactType.REPORT)
          .failures(WORKER_FAILURES)
          .failures(TRAINER_FAILURES)
          .failures(List.of(FailureType.GATE_FAILED))
          .runner("entry", "evaluate")
          .check(StepKinds::checkEvaluateTasksAndGate)
          .check(StepKinds::checkRelativeGate)
          .example(
              """
          - id: eval
            kind: evaluate
            model: ${{ steps.merge.outputs.model }}
            data: ${{ params.evalset }}
            gate: {metric: accuracy, min: 0.6}
          """)
          .build();

  /**
   * Routes a dataset through a mixture-of-experts checkpoint and records, per layer and expert, how
   * often and how strongly each expert is used (docs/trainer.md "Routing profiles"): the ranking
   * that {@code prune} method {@code experts} and {@code merge} method {@code moe-experts} read. A
   * dense checkpoint is refused by the trainer (exit 2, at {@code model}).
   */
  public static final StepKind ROUTE_STATS =
      StepKind.builder("route-stats", Execution.WORKER_TRAINER)
          .description(
              "Profiles how a mixture-of-experts checkpoint routes a dataset's tokens: per layer and expert "
                  + "the routing frequency, mean gate, output norms, co-activation and router-logit similarity.")
          .field(
              StepField.required("model", ARTIFACT, "mixture-of-experts checkpoint (e.g. mixtral)")
                  .accepting(ArtifactType.CHECKPOINT))
          .field(
              StepField.required(
                      "data",
                      ARTIFACT,
                      "dataset (text, or chat and instruction records) or token shards to route")
                  .accepting(ArtifactType.DATASET, ArtifactType.FILES, ArtifactType.TOKENS))
          .field(
              config(
                  List.of(
                      ConfigKey.optional(
                          "subset",
                          STRING,
                          Constraint.NONE,
                          "file of the dataset, or split of token shards (default train)"),
                      ConfigKey.optional(
                          "seq_len",
                          INT,
                          Constraint.positive(),
                          "tokens per sequence, default the model's context up to 256 (known only once the model is read)"),
                      ConfigKey.optional(
                              "batch_size", INT, Constraint.positive(), "sequences per batch")
                          .withDefault(16),
                      ConfigKey.optional(
                          "max_sequences",
                          INT,
                          Constraint.positive(),
                          "route at most this many sequences, drawn by seed (default all)"),
                      ConfigKey.optional(
                          "max_tokens",
                          INT,
                          Constraint.positive(),
                          "route at most this many tokens, the last sequence cropped (default all)"),
                      ConfigKey.optional(
                              "seed", INT, Constraint.NONE, "order the sequences are drawn in")
                          .withDefault(0),
                      ConfigKey.optional(
                          "precision",
                          STRING,
                          Constraint.oneOf("auto", "bf16", "fp32"),
                          "compute precision, default auto"),
                      ConfigKey.optional(
                          "device",
                          STRING,
                          Constraint.oneOf("auto", "cpu"),
                          "where to run, default auto"),
                      ConfigKey.optional(
                          "cpu_threads",
                          INT,
                          Constraint.positive(),
                          "torch threads on CPU, default $TRAINYARD_CPU_THREADS or 2"))))
          .output("profile", ArtifactType.ROUTING_PROFILE)
          .failures(WORKER_FAILURES)
          .failures(TRAINER_FAILURES)
          .runner("entry", "route-stats")
          .example(
              """
          - id: profile
            kind: route-stats
            model: ${{ steps.pretrain.outputs.model }}
            data: ${{ params.task_a }}
            config: {max_sequences: 256}
          """)
          .build();

  public static final StepKind APPROVAL =
      StepKind.builder("approval", Execution.APPROVAL)
          .description("Waits until a person approves or rejects the run.")
          .field(StepField.optional("message", STRING, "shown to the approver"))
          .notCacheable()
          .example(
              """
          - id: sign-off
            kind: approval
            message: promote the merged model?
          """)
          .build();

  public static final StepKind PROMOTE =
      StepKind.builder("promote", Execution.BACKEND)
          .description(
              "Points an alias (e.g. production) at a checkpoint, as the run's launcher: audited and in the "
                  + "alias history.")
          .field(
              StepField.required("model", ARTIFACT, "checkpoint to promote")
                  .accepting(ArtifactType.CHECKPOINT))
          .field(
              StepField.required("alias", STRING, "alias name")
                  .withConstraint(Constraint.matching(POOL_PATTERN)))
          .field(
              StepField.optional(
                      "report",
                      ARTIFACT,
                      "an evaluate step's report: promote only when its gate passed")
                  .accepting(ArtifactType.REPORT))
          .notCacheable()
          .failures(
              List.of(
                  FailureType.KIND_NOT_SUPPORTED,
                  FailureType.INVALID_STEP,
                  FailureType.INPUT_MISSING,
                  FailureType.REFUSED))
          .example(
              """
          - id: promote
            kind: promote
            model: ${{ steps.merge.outputs.model }}
            report: ${{ steps.eval.outputs.report }}
            alias: candidate
          """)
          .build();

  public static final StepKind SELECT_BEST =
      StepKind.builder("select-best", Execution.BACKEND)
          .description(
              "Picks the evaluate report with the best value of a metric; its outputs are that report and "
                  + "the checkpoint it evaluated (the existing artifacts, not copies).")
          .field(
              StepField.required(
                      "candidates",
                      ARTIFACT_LIST,
                      "evaluate steps' reports, usually ${{ steps.ID.outputs.report[*] }}")
                  .accepting(ArtifactType.REPORT))
          .field(
              StepField.required(
                  "metric", STRING, "a metric every report contains, or FILE/METRIC"))
          .field(
              StepField.optional(
                      "mode",
                      STRING,
                      "max: the highest value wins; min: the lowest (loss, perplexity). A tie goes to the first candidate")
                  .withConstraint(Constraint.oneOf("max", "min"))
                  .withDefault("max"))
          .output("model", ArtifactType.CHECKPOINT)
          .output("report", ArtifactType.REPORT)
          // The winner's checkpoint is found in the catalog's lineage, which a cache key over the
          // inputs does not cover; choosing is a lookup, cheaper than a cache hit anyway.
          .notCacheable()
          .failures(
              List.of(
                  FailureType.KIND_NOT_SUPPORTED,
                  FailureType.INVALID_STEP,
                  FailureType.INPUT_MISSING,
                  FailureType.INVALID_INPUT))
          .check(StepKinds::checkSelectBestMetric)
          .example(
              """
          - id: best
            kind: select-best
            candidates: ${{ steps.eval.outputs.report[*] }}
            metric: exact_match
            mode: max
          """)
          .build();

  private static final Map<String, StepKind> KINDS =
      byName(
          COMMAND,
          PRETRAIN,
          CONTINUAL_PRETRAIN,
          SFT,
          DPO,
          MERGE,
          PRUNE,
          UPCYCLE,
          TOKENIZE,
          EVALUATE,
          ROUTE_STATS,
          APPROVAL,
          PROMOTE,
          SELECT_BEST);

  /**
   * Tasks must be known, and the gate's metric one that those tasks (or any task, when none is
   * named) report.
   */
  private static void checkEvaluateTasksAndGate(
      Map<String, Object> body, java.util.function.BiConsumer<String, String> problem) {
    var tasks = new java.util.LinkedHashSet<String>();
    boolean allKnown = true;
    if (body.get("tasks") instanceof List<?> listed) {
      for (int i = 0; i < listed.size(); i++) {
        if (!(listed.get(i) instanceof String name) || !StepCheck.literal(name)) {
          allKnown = false;
          continue;
        }
        String task = EVAL_TASK_ALIASES.getOrDefault(name, name);
        if (EVAL_TASKS.containsKey(task)) {
          tasks.add(task);
        } else {
          problem.accept(
              "tasks[" + i + "]",
              "unknown task '"
                  + name
                  + "'; expected one of "
                  + String.join(", ", EVAL_TASKS.keySet())
                  + ", "
                  + String.join(", ", new java.util.TreeSet<>(EVAL_TASK_ALIASES.keySet())));
        }
      }
    }
    if (!(body.get("gate") instanceof Map<?, ?> gate)
        || !(gate.get("metric") instanceof String metric)
        || !StepCheck.literal(metric)
        || !allKnown) {
      return;
    }
    var measured = new java.util.LinkedHashSet<String>();
    (tasks.isEmpty() ? EVAL_TASKS.keySet() : tasks)
        .forEach(t -> measured.addAll(EVAL_TASKS.get(t)));
    String pooled = metric.contains("/") ? metric.substring(metric.indexOf('/') + 1) : metric;
    if (!measured.contains(pooled)) {
      problem.accept(
          "gate.metric",
          "'"
              + metric
              + "' is not measured by "
              + (tasks.isEmpty() ? "any task" : "tasks " + String.join(", ", tasks))
              + "; expected one of "
              + String.join(", ", measured)
              + " (or FILE/METRIC)");
    }
  }

  /**
   * A relative bound's settings mean nothing without the reports it is relative to; a gate that
   * beats other reports on a metric is checked against their reports only at run time.
   */
  private static void checkRelativeGate(
      Map<String, Object> body, java.util.function.BiConsumer<String, String> problem) {
    if (body.get("gate") instanceof Map<?, ?> gate && gate.get("beat") == null) {
      for (String key : List.of("margin", "mode")) {
        if (gate.get(key) != null) {
          problem.accept("gate." + key, "applies to beat: set gate.beat to the reports to beat");
        }
      }
    }
  }

  /** The metric is one some evaluate task reports (pooled, or FILE/METRIC). */
  private static void checkSelectBestMetric(
      Map<String, Object> body, java.util.function.BiConsumer<String, String> problem) {
    if (!(body.get("metric") instanceof String metric) || !StepCheck.literal(metric)) {
      return;
    }
    var measured = new java.util.LinkedHashSet<String>();
    EVAL_TASKS.values().forEach(measured::addAll);
    String pooled = metric.contains("/") ? metric.substring(metric.indexOf('/') + 1) : metric;
    if (!measured.contains(pooled)) {
      problem.accept(
          "metric",
          "'"
              + metric
              + "' is not a metric evaluate reports; expected one of "
              + String.join(", ", measured)
              + " (or FILE/METRIC)");
    }
  }

  /**
   * An architecture map may name the family it is built as ({@code model_type}); only the families
   * the trainer has are accepted, so a typo is a validation problem, not a failed step.
   */
  private static void checkModelType(
      Map<String, Object> body, java.util.function.BiConsumer<String, String> problem) {
    if (body.get("model") instanceof Map<?, ?> model
        && model.get("model_type") instanceof Object type
        && StepCheck.literal(type)
        && !(type instanceof String name && ModelFamilies.isSupported(name))) {
      problem.accept(
          "model.model_type",
          "'" + type + "' is not a supported model family; supported: " + ModelFamilies.describe());
    }
  }

  /** Evaluating during training needs something to evaluate on. */
  private static void checkEvalEvery(
      Map<String, Object> body, java.util.function.BiConsumer<String, String> problem) {
    if (body.get("config") instanceof Map<?, ?> config
        && config.get("eval_every") != null
        && body.get("eval_data") == null) {
      problem.accept("config.eval_every", "needs eval_data: the held-out dataset to evaluate on");
    }
  }

  /**
   * A mixture has 1 to {@link #MAX_SOURCES} sources, each names its own subset (config.subset is
   * for one artifact), and the names in its metrics are unique.
   */
  private static void checkSources(
      Map<String, Object> body, java.util.function.BiConsumer<String, String> problem) {
    if (!(body.get("data") instanceof List<?> sources)
        || !sources.stream().anyMatch(Map.class::isInstance)) {
      return; // one artifact, a fan-in of them, or no source (reported by the field's check)
    }
    if (sources.size() > MAX_SOURCES) {
      problem.accept(
          "data", "a mixture has 1 to " + MAX_SOURCES + " sources, got " + sources.size());
    }
    if (body.get("config") instanceof Map<?, ?> config && config.get("subset") != null) {
      problem.accept(
          "config.subset", "with a list of sources, give each source its own subset instead");
    }
    var names = new java.util.HashSet<Object>();
    for (int i = 0; i < sources.size(); i++) {
      Object name = sources.get(i) instanceof Map<?, ?> source ? source.get("name") : null;
      if (name != null && !names.add(name)) {
        problem.accept("data[" + i + "].name", "'" + name + "' names an earlier source too");
      }
    }
  }

  private static List<ConfigKey> dpoConfig() {
    var keys = new java.util.ArrayList<>(trainingConfig(1e-4, 0.0, false));
    keys.add(
        ConfigKey.optional("beta", NUMBER, Constraint.positive(), "DPO temperature")
            .withDefault(0.1));
    keys.add(
        ConfigKey.optional(
                "sft_weight",
                NUMBER,
                Constraint.atLeast(0),
                "weight of an SFT loss on chosen answers")
            .withDefault(0.0));
    return keys;
  }

  /**
   * The training kinds share data, config and behaviour; each adds its model field and runner
   * settings.
   */
  private static StepKind.Builder training(
      String name,
      String description,
      StepField model,
      double lr,
      double weightDecay,
      boolean replays) {
    return StepKind.builder(name, Execution.WORKER_TRAINER)
        .description(description)
        .field(model)
        .field(trainingData("training dataset or token shards, or a mixture of sources"))
        .field(EVAL_DATA)
        .field(config(trainingConfig(lr, weightDecay, replays)))
        .check(StepKinds::checkEvalEvery)
        .check(StepKinds::checkSources)
        .failures(WORKER_FAILURES)
        .failures(TRAINER_FAILURES)
        .defaultAttempts(TRAINING_ATTEMPTS)
        .resumable()
        .runner("entry", "train");
  }

  /** A training kind whose output is always a full checkpoint. */
  private static StepKind.Builder fullTraining(
      String name,
      String description,
      StepField model,
      double lr,
      double weightDecay,
      boolean replays) {
    return training(name, description, model, lr, weightDecay, replays)
        .output("model", ArtifactType.CHECKPOINT);
  }

  private static StepField config(List<ConfigKey> keys) {
    return StepField.optional("config", OBJECT, "kind-specific settings")
        .withEntries(Kinds.byName(keys.toArray(ConfigKey[]::new)));
  }

  private static Map<String, StepKind> byName(StepKind... kinds) {
    var map = new LinkedHashMap<String, StepKind>();
    for (StepKind kind : kinds) {
      map.put(kind.name(), kind);
    }
    return java.util.Collections.unmodifiableMap(map);
  }

  public static Optional<StepKind> find(String name) {
    return Optional.ofNullable(KINDS.get(name));
  }

  public static Collection<StepKind> all() {
    return KINDS.values();
  }

  public static List<String> names() {
    return List.copyOf(KINDS.keySet());
  }

  /** The kind of a planned or recorded step; plans are only made of known kinds. */
  public static StepKind of(String name) {
    return find(name)
        .orElseThrow(() -> new IllegalArgumentException("unknown step kind '" + name + "'"));
  }

  /** Names of the kinds with an output of {@code type}, e.g. for the evals query. */
  public static List<String> producing(ArtifactType type) {
    return all().stream().filter(k -> k.produces(type)).map(StepKind::name).toList();
  }

  /**
   * Every kind and the common fields as a plain Map/List tree, for the REST API, the form and docs.
   */
  public static Map<String, Object> describe() {
    var map = new LinkedHashMap<String, Object>();
    map.put("commonFields", StepKind.describeAll(COMMON_FIELDS));
    map.put("kinds", all().stream().map(StepKind::describe).toList());
    return map;
  }
}
