package dev.trainyard.pipeline.kind;

import static dev.trainyard.pipeline.kind.ValueType.ANY;
import static dev.trainyard.pipeline.kind.ValueType.ARTIFACT;
import static dev.trainyard.pipeline.kind.ValueType.BOOLEAN;
import static dev.trainyard.pipeline.kind.ValueType.DURATION;
import static dev.trainyard.pipeline.kind.ValueType.INT;
import static dev.trainyard.pipeline.kind.ValueType.MATRIX;
import static dev.trainyard.pipeline.kind.ValueType.NUMBER;
import static dev.trainyard.pipeline.kind.ValueType.OBJECT;
import static dev.trainyard.pipeline.kind.ValueType.OBJECT_LIST;
import static dev.trainyard.pipeline.kind.ValueType.PRESET_OR_CONFIG;
import static dev.trainyard.pipeline.kind.ValueType.STRING;
import static dev.trainyard.pipeline.kind.ValueType.STRING_LIST;
import static dev.trainyard.pipeline.kind.ValueType.STRING_MAP;

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

  /** Fields allowed on every step whatever its kind; they steer scheduling rather than the step's work. */
  public static final Map<String, StepField> COMMON_FIELDS =
      Kinds.byName(
          StepField.required("id", STRING, "unique step id").withConstraint(Constraint.matching(ID_PATTERN)),
          StepField.required("kind", STRING, "the step kind"),
          StepField.optional("needs", STRING_LIST, "ids of steps that must succeed first"),
          StepField.optional("resources", OBJECT, "where the step runs")
              .withEntries(
                  Kinds.byName(
                      ConfigKey.optional(
                          "pool", STRING, Constraint.matching(POOL_PATTERN), "worker pool, default 'default'"),
                      ConfigKey.optional(
                          "gpus", INT, Constraint.between(0, MAX_GPUS), "GPUs on one host, default 0"))),
          StepField.optional("timeout", DURATION, "limit of one attempt: seconds or 90s/10m/2h, default 24h"),
          StepField.optional("retry", OBJECT, "retry policy of failed attempts")
              .withEntries(
                  Kinds.byName(
                      ConfigKey.optional(
                          "max_attempts", INT, Constraint.between(1, 100), "attempts including the first"),
                      ConfigKey.optional("backoff_seconds", NUMBER, Constraint.atLeast(0), "first delay"),
                      ConfigKey.optional(
                          "backoff_multiplier", NUMBER, Constraint.atLeast(1), "delay growth per attempt"))),
          StepField.optional("matrix", MATRIX, "fan out: one step per combination of the listed values"),
          StepField.optional("cache", BOOLEAN, "reuse a recorded result with the same inputs and config"),
          StepField.optional("description", STRING, "free text"));

  /** Keys of {@code config:} shared by the training kinds. */
  private static final List<ConfigKey> TRAINING_CONFIG =
      List.of(
          ConfigKey.optional("max_steps", INT, Constraint.positive(), "optimizer steps"),
          ConfigKey.optional("lr", NUMBER, Constraint.positive(), "peak learning rate"),
          ConfigKey.optional("warmup_steps", INT, Constraint.atLeast(0), "linear warm-up steps"),
          ConfigKey.optional("batch_size", INT, Constraint.positive(), "sequences per micro-batch"),
          ConfigKey.optional("seq_len", INT, Constraint.positive(), "tokens per sequence"),
          ConfigKey.optional("seed", INT, Constraint.NONE, "random seed"),
          ConfigKey.optional("eval_every", INT, Constraint.positive(), "steps between evaluations"),
          ConfigKey.optional("checkpoint_every", INT, Constraint.positive(), "steps between checkpoints"),
          ConfigKey.optional("preset", STRING, Constraint.NONE, "named trainer preset"),
          ConfigKey.optional("replay", OBJECT, Constraint.NONE, "mix in earlier data against forgetting")
              .withEntries(
                  Kinds.byName(
                      ConfigKey.required("dataset", ARTIFACT, Constraint.NONE, "replayed dataset"),
                      ConfigKey.required("ratio", NUMBER, Constraint.between(0, 1), "share of replayed data"),
                      ConfigKey.optional("subset", STRING, Constraint.NONE, "file of the replayed dataset"))),
          ConfigKey.optional("grad_accum", INT, Constraint.positive(), "micro-batches per optimizer step"),
          ConfigKey.optional("weight_decay", NUMBER, Constraint.atLeast(0), "AdamW weight decay"),
          ConfigKey.optional("min_lr_ratio", NUMBER, Constraint.between(0, 1), "cosine floor as a share of lr"),
          ConfigKey.optional("grad_clip", NUMBER, Constraint.positive(), "gradient norm clip"),
          ConfigKey.optional("log_every", INT, Constraint.positive(), "steps between metrics lines"),
          ConfigKey.optional("subset", STRING, Constraint.NONE, "file of the dataset to train on"),
          ConfigKey.optional("precision", STRING, Constraint.oneOf("auto", "bf16", "fp32"), "compute precision"),
          ConfigKey.optional("compile", ANY, Constraint.NONE, "torch.compile: true, false or \"auto\""),
          ConfigKey.optional("device", STRING, Constraint.oneOf("auto", "cpu"), "where to train"),
          ConfigKey.optional("cpu_threads", INT, Constraint.positive(), "torch threads on CPU"));

  private static final ConfigKey DPO_BETA =
      ConfigKey.optional("beta", NUMBER, Constraint.positive(), "DPO temperature");

  public static final List<String> MERGE_METHODS =
      List.of("linear", "task-arithmetic", "ties", "dare", "dare_ties", "dare_linear", "slerp", "model-stock",
          "breadcrumbs", "breadcrumbs_ties");

  public static final List<String> PRUNE_METHODS = List.of("magnitude", "nm", "width");

  private static final Map<String, StepKind> KINDS = catalogue();

  private static Map<String, StepKind> catalogue() {
    var kinds = new LinkedHashMap<String, StepKind>();
    add(kinds, new StepKind(
        "command",
        "Runs a shell command (any trainer or script); files written to $TRAINYARD_OUTPUT become its output.",
        Kinds.byName(
            StepField.required("run", STRING, "shell command"),
            StepField.optional("env", STRING_MAP, "extra environment variables"),
            StepField.optional("inputs", ANY, "artifact references the command reads; ${{ inputs }} in run"),
            StepField.optional("output_type", STRING, "what the output is: files (default), or checkpoint when "
                + "the command is your own trainer (then it is in the registry, evaluations and retention)")
                .withConstraint(Constraint.oneOf("files", "checkpoint"))),
        List.of("output")));
    add(kinds, training("pretrain", "Pretrains a model from scratch.",
        StepField.optional("model", PRESET_OR_CONFIG, "model preset name or architecture config"),
        TRAINING_CONFIG));
    add(kinds, training("continual-pretrain", "Continues pretraining a checkpoint on new data.",
        StepField.required("model", ARTIFACT, "checkpoint to start from"), TRAINING_CONFIG));
    add(kinds, training("sft", "Supervised fine-tuning on instruction data.",
        StepField.required("model", ARTIFACT, "checkpoint to fine-tune"), TRAINING_CONFIG));
    var dpoConfig = new java.util.ArrayList<>(TRAINING_CONFIG);
    dpoConfig.add(DPO_BETA);
    dpoConfig.add(ConfigKey.optional("sft_weight", NUMBER, Constraint.atLeast(0), "weight of an SFT loss on chosen answers"));
    add(kinds, new StepKind(
        "dpo",
        "Direct preference optimisation on chosen/rejected pairs.",
        Kinds.byName(
            StepField.required("model", ARTIFACT, "policy checkpoint"),
            StepField.required("data", ARTIFACT, "preference dataset"),
            StepField.optional("reference", ARTIFACT, "reference checkpoint, default the policy's start"),
            config(dpoConfig)),
        List.of("model")));
    add(kinds, new StepKind(
        "merge",
        "Merges checkpoints tensor by tensor.",
        Kinds.byName(
            StepField.required("method", STRING, "merge method")
                .withConstraint(Constraint.oneOf(MERGE_METHODS.toArray(String[]::new))),
            StepField.optional("base", ARTIFACT, "base checkpoint for task-vector methods"),
            StepField.required("models", OBJECT_LIST, "checkpoints to merge")
                .withEntries(Kinds.byName(
                    ConfigKey.required("model", ARTIFACT, Constraint.NONE, "checkpoint"),
                    // Numbers, or per-tensor-pattern lists [{filter, value}] as mergekit writes them.
                    ConfigKey.optional("weight", ANY, Constraint.NONE, "mixing weight"),
                    ConfigKey.optional("density", ANY, Constraint.NONE, "kept share (ties/dare/breadcrumbs)"),
                    ConfigKey.optional("gamma", NUMBER, Constraint.between(0, 1), "largest share dropped (breadcrumbs)"))),
            config(List.of(
                ConfigKey.optional("dtype", STRING, Constraint.oneOf("float32", "float16", "bfloat16"),
                    "dtype of the merged tensors"),
                ConfigKey.optional("normalize", BOOLEAN, Constraint.NONE, "normalise weights to sum 1"),
                ConfigKey.optional("t", ANY, Constraint.NONE, "interpolation factor (slerp), or per-pattern list"),
                ConfigKey.optional("lambda", ANY, Constraint.NONE, "task-vector scale, or per-pattern list"),
                ConfigKey.optional("rescale", BOOLEAN, Constraint.NONE, "rescale kept deltas by 1/density (dare)"),
                ConfigKey.optional("variant", STRING, Constraint.oneOf("linear", "ties"), "dare/breadcrumbs flavour"),
                ConfigKey.optional("max_shard_bytes", INT, Constraint.positive(), "bytes per output shard"),
                ConfigKey.optional("seed", INT, Constraint.NONE, "random seed (dare)")))),
        List.of("model")));
    add(kinds, new StepKind(
        "prune",
        "Removes weights or layers from a checkpoint.",
        Kinds.byName(
            StepField.required("model", ARTIFACT, "checkpoint to prune"),
            StepField.required("method", STRING, "pruning method")
                .withConstraint(Constraint.oneOf(PRUNE_METHODS.toArray(String[]::new))),
            config(List.of(
                ConfigKey.optional("sparsity", NUMBER, Constraint.between(0, 1), "share of weights removed"),
                ConfigKey.optional("scope", STRING, Constraint.oneOf("tensor", "global"), "threshold per tensor or global"),
                ConfigKey.optional("n", INT, Constraint.positive(), "N of N:M (kept per group)"),
                ConfigKey.optional("m", INT, Constraint.positive(), "M of N:M (group size)"),
                ConfigKey.optional("skip", STRING_LIST, Constraint.NONE, "tensor-name substrings left dense"),
                ConfigKey.optional("mlp_ratio", NUMBER, Constraint.between(0, 1), "share of MLP channels removed (width)"),
                ConfigKey.optional("heads_ratio", NUMBER, Constraint.between(0, 1),
                    "share of attention head groups removed (width)"),
                ConfigKey.optional("max_shard_bytes", INT, Constraint.positive(), "bytes per output shard"),
                ConfigKey.optional("seed", INT, Constraint.NONE, "random seed")))),
        List.of("model")));
    add(kinds, new StepKind(
        "evaluate",
        "Scores a checkpoint on tasks; an optional gate fails the step when the metric misses its bound.",
        Kinds.byName(
            StepField.required("model", ARTIFACT, "checkpoint to evaluate"),
            StepField.optional("data", ARTIFACT, "evaluation dataset"),
            StepField.optional("tasks", STRING_LIST, "benchmark task names"),
            StepField.optional("gate", OBJECT, "pass/fail bound on one metric")
                .withEntries(Kinds.byName(
                    ConfigKey.required("metric", STRING, Constraint.NONE, "metric name"),
                    ConfigKey.optional("min", NUMBER, Constraint.NONE, "lowest passing value"),
                    ConfigKey.optional("max", NUMBER, Constraint.NONE, "highest passing value"))),
            config(List.of(
                ConfigKey.optional("batch_size", INT, Constraint.positive(), "sequences per batch"),
                ConfigKey.optional("max_samples", INT, Constraint.positive(), "cap on examples per task"),
                ConfigKey.optional("max_new_tokens", INT, Constraint.positive(), "generation length (exact match)"),
                ConfigKey.optional("chat", ANY, Constraint.NONE, "use the chat template: true, false or \"auto\""),
                ConfigKey.optional("subset", STRING, Constraint.NONE, "file of the evaluation dataset"),
                ConfigKey.optional("seq_len", INT, Constraint.positive(), "tokens per sequence"),
                ConfigKey.optional("seed", INT, Constraint.NONE, "random seed")))),
        List.of("report")));
    add(kinds, new StepKind(
        "approval",
        "Waits until a person approves or rejects the run.",
        Kinds.byName(StepField.optional("message", STRING, "shown to the approver")),
        List.of()));
    add(kinds, new StepKind(
        "promote",
        "Points an alias (e.g. production) at a checkpoint.",
        Kinds.byName(
            StepField.required("model", ARTIFACT, "checkpoint to promote"),
            StepField.required("alias", STRING, "alias name").withConstraint(Constraint.matching(POOL_PATTERN))),
        List.of()));
    return java.util.Collections.unmodifiableMap(kinds);
  }

  private static StepKind training(String name, String description, StepField model, List<ConfigKey> config) {
    return new StepKind(
        name,
        description,
        Kinds.byName(model, StepField.required("data", ARTIFACT, "training dataset"), config(config)),
        List.of("model"));
  }

  private static StepField config(List<ConfigKey> keys) {
    return StepField.optional("config", OBJECT, "kind-specific settings")
        .withEntries(Kinds.byName(keys.toArray(ConfigKey[]::new)));
  }

  private static void add(Map<String, StepKind> kinds, StepKind kind) {
    kinds.put(kind.name(), kind);
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

  /** Every kind and the common fields as a plain Map/List tree, for the REST API, the form and docs. */
  public static Map<String, Object> describe() {
    var map = new LinkedHashMap<String, Object>();
    map.put("commonFields", StepKind.describeAll(COMMON_FIELDS));
    map.put("kinds", all().stream().map(StepKind::describe).toList());
    return map;
  }
}
