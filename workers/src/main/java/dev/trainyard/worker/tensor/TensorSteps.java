package dev.trainyard.worker.tensor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trainyard.pipeline.kind.MergeRules;
import dev.trainyard.pipeline.kind.PruneRules;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.plan.Defaults;
import dev.trainyard.worker.tensor.merge.LoraMerge;
import dev.trainyard.worker.tensor.merge.MergeRequest;
import dev.trainyard.worker.tensor.merge.Merger;
import dev.trainyard.worker.tensor.moe.ExpertMerger;
import dev.trainyard.worker.tensor.moe.ExpertPruner;
import dev.trainyard.worker.tensor.prune.PruneRequest;
import dev.trainyard.worker.tensor.prune.Pruner;
import dev.trainyard.worker.tensor.prune.WidthPruner;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.CheckpointWriter;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.WrittenFile;
import dev.trainyard.worker.tensor.upcycle.Upcycler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Entry point of the {@code merge}, {@code prune} and {@code upcycle} step kinds: reads the inputs
 * named by the planned step body, writes a Hugging Face checkpoint (config, safetensors, index when
 * sharded, tokenizer files) plus {@value #REPORT} into the output dir, and appends metrics to
 * {@code metrics.jsonl}.
 */
public final class TensorSteps {
  public static final String REPORT = "trainyard-report.json";

  /** Files carried over from the (base) input beside the weights. */
  public static final List<String> CARRIED_FILES =
      List.of(
          "tokenizer.json",
          "tokenizer_config.json",
          "special_tokens_map.json",
          "tokenizer.model",
          "vocab.json",
          "merges.txt",
          "added_tokens.json",
          "generation_config.json",
          "chat_template.jinja");

  /**
   * The trainer's record of what made a checkpoint (checkpoint.py); its {@code chat} says how to
   * prompt it.
   */
  public static final String TRAINER_INFO = "trainyard.json";

  /**
   * The output's {@value #TRAINER_INFO} when an input has one: the reference input's tokenizer and
   * chat template, {@code chat} true when any input model or adapter was chat-tuned (a LoRA fold-in
   * of a chat adapter is a chat model), and what made it. Without it an evaluation could not tell a
   * pretrained model from a chat-tuned one and would prompt a pruned base model in chat turns. Null
   * when no input carries one (checkpoints from other tools): the evaluator's fallback applies.
   */
  static ObjectNode trainerInfo(
      String kind, String method, Path referenceDir, List<InputRole> roles, long parameters)
      throws IOException {
    ObjectNode reference = readInfo(referenceDir);
    boolean any = reference != null;
    boolean chat = reference != null && reference.path("chat").asBoolean(false);
    for (InputRole role : roles) {
      ObjectNode other = readInfo(role.path());
      if (other != null) {
        any = true;
        chat |= other.path("chat").asBoolean(false);
      }
    }
    if (!any) {
      return null;
    }
    ObjectNode info = JSON.createObjectNode();
    info.put("kind", kind);
    info.put("method", method);
    info.put("chat", chat);
    if (reference != null) {
      for (String key : List.of("chat_template", "tokenizer")) {
        if (reference.has(key)) {
          info.set(key, reference.get(key));
        }
      }
    }
    info.put("parameters", parameters);
    info.put("trainer", "trainyard tensor engine");
    return info;
  }

  private static ObjectNode readInfo(Path dir) throws IOException {
    Path f = dir == null ? null : dir.resolve(TRAINER_INFO);
    if (f == null || !Files.isRegularFile(f)) {
      return null;
    }
    return JSON.readTree(f.toFile()) instanceof ObjectNode node ? node : null;
  }

  private static final Pattern TOKEN =
      Pattern.compile("^\\$\\{\\{\\s*inputs\\.([A-Za-z0-9._-]+)\\s*}}$");
  private static final ObjectMapper JSON = new ObjectMapper();

  private TensorSteps() {}

  /**
   * An input the step read and the role it played, for lineage ({@code input:base}, {@code
   * input:model}).
   */
  public record InputRole(String ref, String role, Path path, Map<String, Object> params) {}

  /**
   * What a run produced: the files written (with sha256), the inputs by role, and summary metrics.
   */
  public record Result(
      String kind,
      String method,
      Map<String, WrittenFile> files,
      List<InputRole> inputs,
      Map<String, Double> metrics) {}

  /**
   * Runs a step of kind {@code merge} or {@code prune}.
   *
   * @param body the planned step body; artifact fields hold {@code ${{ inputs.NAME }}} tokens
   * @param inputs binding name → read-only checkpoint dir
   * @throws java.util.concurrent.CancellationException when {@code cancelled} turned true (checked
   *     between tensors); nothing is left in {@code outputDir}
   * @throws IllegalArgumentException for an invalid body or mismatched inputs (all problems listed)
   */
  public static Result run(
      String kind,
      Map<String, Object> body,
      Map<String, Path> inputs,
      Path outputDir,
      Path metricsFile,
      BooleanSupplier cancelled,
      Consumer<String> progress)
      throws IOException {
    return run(kind, body, tokenResolver(inputs), outputDir, metricsFile, cancelled, progress);
  }

  /**
   * Like {@link #run(String, Map, Map, Path, Path, BooleanSupplier, Consumer)} with any reference
   * resolver.
   */
  public static Result run(
      String kind,
      Map<String, Object> body,
      Function<String, Path> resolve,
      Path outputDir,
      Path metricsFile,
      BooleanSupplier cancelled,
      Consumer<String> progress)
      throws IOException {
    Operation operation =
        StepKinds.find(kind)
            .map(OPERATIONS::get)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "kind: the tensor engine runs " + kindNames() + ", not '" + kind + "'"));
    // A planned body is resolved already (a no-op then); the CLI's YAML gets the same defaults
    // here.
    Map<String, Object> resolved = Defaults.resolve(StepKinds.of(kind), body);
    return operation.run(resolved, resolve, outputDir, metricsFile, cancelled, progress);
  }

  /** One kind the engine runs, from its planned body to the written checkpoint. */
  @FunctionalInterface
  private interface Operation {
    Result run(
        Map<String, Object> body,
        Function<String, Path> resolve,
        Path outputDir,
        Path metricsFile,
        BooleanSupplier cancelled,
        Consumer<String> progress)
        throws IOException;
  }

  /** The engine's operations by kind definition (not by name: the catalogue owns the names). */
  private static final Map<StepKind, Operation> OPERATIONS =
      Map.of(
          StepKinds.MERGE,
              (body, resolve, out, metrics, cancelled, progress) ->
                  merge(
                      MergeRequest.parse(body, resolve),
                      body,
                      resolve,
                      out,
                      metrics,
                      cancelled,
                      progress),
          StepKinds.PRUNE,
              (body, resolve, out, metrics, cancelled, progress) ->
                  prune(PruneRequest.parse(body, resolve), body, out, metrics, cancelled, progress),
          StepKinds.UPCYCLE,
              (body, resolve, out, metrics, cancelled, progress) ->
                  upcycle(
                      Upcycler.Request.parse(body, resolve),
                      body,
                      out,
                      metrics,
                      cancelled,
                      progress));

  /** Names of the kinds the engine runs, e.g. for the CLI's usage line. */
  public static List<String> kindNames() {
    return StepKinds.all().stream().filter(OPERATIONS::containsKey).map(StepKind::name).toList();
  }

  static Function<String, Path> tokenResolver(Map<String, Path> inputs) {
    return ref -> {
      Matcher m = TOKEN.matcher(ref.trim());
      if (!m.matches()) {
        throw new IllegalArgumentException("'" + ref + "' is not an ${{ inputs.NAME }} reference");
      }
      Path p = inputs.get(m.group(1));
      if (p == null) {
        throw new IllegalArgumentException(
            "refers to ${{ inputs."
                + m.group(1)
                + " }} but the inputs are "
                + new java.util.TreeSet<>(inputs.keySet()));
      }
      return p;
    };
  }

  private static Result merge(
      MergeRequest r,
      Map<String, Object> body,
      Function<String, Path> resolve,
      Path outputDir,
      Path metricsFile,
      BooleanSupplier cancelled,
      Consumer<String> progress)
      throws IOException {
    long started = System.nanoTime();
    if (r.method().equals(MergeRules.LORA)) {
      return mergeLora(r, body, outputDir, metricsFile, cancelled, progress, started);
    }
    List<String> adapters = new ArrayList<>();
    for (int i = 0; i < r.models().size(); i++) {
      if (LoraMerge.isAdapter(r.models().get(i))) {
        adapters.add(
            "models["
                + i
                + "].model: "
                + r.models().get(i)
                + " is a LoRA adapter; "
                + r.method()
                + " merges checkpoints (fold an adapter into its base with method lora)");
      }
    }
    if (!adapters.isEmpty()) {
      throw new MergeRequest.InvalidMergeException(adapters);
    }
    if (r.method().equals(MergeRules.MOE_EXPERTS)) {
      return mergeExperts(
          r,
          ExpertMerger.Request.parse(body, resolve),
          body,
          outputDir,
          metricsFile,
          cancelled,
          progress,
          started);
    }
    List<Checkpoint> opened = new ArrayList<>();
    try {
      Checkpoint base = r.base() == null ? null : open(r.base(), opened);
      List<Checkpoint> models = new ArrayList<>();
      for (Path p : r.models()) {
        models.add(open(p, opened));
      }
      List<TensorPipeline.Item> items = Merger.plan(r, base, models);
      List<InputRole> roles = new ArrayList<>();
      if (base != null) {
        roles.add(new InputRole(r.baseRef(), "base", r.base(), Map.of()));
      }
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> entries = (List<Map<String, Object>>) body.get("models");
      for (int i = 0; i < models.size(); i++) {
        Map<String, Object> params = new LinkedHashMap<>(entries.get(i));
        params.remove("model");
        params.put("index", i);
        roles.add(new InputRole(r.modelRefs().get(i), "model", r.models().get(i), params));
      }
      Checkpoint reference = base != null ? base : models.get(0);
      ObjectNode config = reference.config().orElse(null);
      if (config != null && r.dtype() != null) {
        config.put("torch_dtype", torchName(DType.fromConfigName(r.dtype())));
      }
      return write(
          StepKinds.MERGE.name(),
          r.method(),
          body,
          items,
          reference,
          config,
          roles,
          r.maxShardBytes(),
          outputDir,
          metricsFile,
          cancelled,
          progress,
          started,
          Map.of());
    } finally {
      for (Checkpoint c : opened) {
        c.close();
      }
    }
  }

  /** Method moe-experts: the experts within the one Mixtral of {@code models:}, merged. */
  private static Result mergeExperts(
      MergeRequest r,
      ExpertMerger.Request experts,
      Map<String, Object> body,
      Path outputDir,
      Path metricsFile,
      BooleanSupplier cancelled,
      Consumer<String> progress,
      long started)
      throws IOException {
    try (Checkpoint model = Checkpoint.open(r.models().get(0))) {
      ExpertMerger.Plan plan = ExpertMerger.plan(r, experts, model); // validates before any output
      ObjectNode config = plan.config();
      if (r.dtype() != null) {
        config.put("torch_dtype", torchName(DType.fromConfigName(r.dtype())));
      }
      return write(
          StepKinds.MERGE.name(),
          r.method(),
          body,
          plan.items(),
          model,
          config,
          List.of(
              new InputRole(r.modelRefs().get(0), "model", r.models().get(0), Map.of("index", 0)),
              new InputRole(experts.profileRef(), "profile", experts.profile(), Map.of())),
          r.maxShardBytes(),
          outputDir,
          metricsFile,
          cancelled,
          progress,
          started,
          Map.of("experts", plan.report()));
    }
  }

  /**
   * Method lora: the base's tensors, updated by each adapter; config and tokenizer from the base.
   */
  private static Result mergeLora(
      MergeRequest r,
      Map<String, Object> body,
      Path outputDir,
      Path metricsFile,
      BooleanSupplier cancelled,
      Consumer<String> progress,
      long started)
      throws IOException {
    try (Checkpoint base = Checkpoint.open(r.base())) {
      List<LoraMerge.Adapter> adapters = LoraMerge.open(r.models(), base);
      try {
        List<TensorPipeline.Item> items = LoraMerge.plan(r, base, adapters);
        List<InputRole> roles = new ArrayList<>();
        roles.add(new InputRole(r.baseRef(), "base", r.base(), Map.of()));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> entries = (List<Map<String, Object>>) body.get("models");
        for (int i = 0; i < adapters.size(); i++) {
          Map<String, Object> params = new LinkedHashMap<>(entries.get(i));
          params.remove("model");
          params.put("index", i);
          params.put("r", adapters.get(i).rank());
          params.put("lora_alpha", adapters.get(i).alpha());
          params.put("modules", adapters.get(i).targets().size());
          roles.add(new InputRole(r.modelRefs().get(i), "adapter", r.models().get(i), params));
        }
        ObjectNode config = base.config().orElse(null);
        if (config != null && r.dtype() != null) {
          config.put("torch_dtype", torchName(DType.fromConfigName(r.dtype())));
        }
        return write(
            StepKinds.MERGE.name(),
            r.method(),
            body,
            items,
            base,
            config,
            roles,
            r.maxShardBytes(),
            outputDir,
            metricsFile,
            cancelled,
            progress,
            started,
            Map.of());
      } finally {
        for (LoraMerge.Adapter a : adapters) {
          a.close();
        }
      }
    }
  }

  private static Result prune(
      PruneRequest r,
      Map<String, Object> body,
      Path outputDir,
      Path metricsFile,
      BooleanSupplier cancelled,
      Consumer<String> progress)
      throws IOException {
    long started = System.nanoTime();
    try (Checkpoint model = Checkpoint.open(r.model())) {
      List<InputRole> roles = new ArrayList<>();
      roles.add(new InputRole(r.modelRef(), "model", r.model(), Map.of()));
      if (r.profile() != null) {
        roles.add(new InputRole(r.profileRef(), "profile", r.profile(), Map.of()));
      }
      // Each method validates (and scores) before any output is written; one write for all.
      List<TensorPipeline.Item> items;
      ObjectNode config;
      Map<String, Object> report;
      if (r.method().equals(PruneRules.EXPERTS)) {
        ExpertPruner.Plan plan = ExpertPruner.plan(r, model);
        items = plan.items();
        config = plan.config();
        report = Map.of("experts", plan.report());
      } else if (r.method().equals("width")) {
        WidthPruner.Plan plan = WidthPruner.plan(r, model);
        items = plan.items();
        config = plan.config();
        report = Map.of("width", plan.report());
      } else {
        items = Pruner.plan(r, model);
        config = model.config().orElse(null);
        report = Map.of();
      }
      return write(
          StepKinds.PRUNE.name(),
          r.method(),
          body,
          items,
          model,
          config,
          roles,
          r.maxShardBytes(),
          outputDir,
          metricsFile,
          cancelled,
          progress,
          started,
          report);
    }
  }

  private static Result upcycle(
      Upcycler.Request r,
      Map<String, Object> body,
      Path outputDir,
      Path metricsFile,
      BooleanSupplier cancelled,
      Consumer<String> progress)
      throws IOException {
    long started = System.nanoTime();
    try (Checkpoint model = Checkpoint.open(r.model())) {
      Upcycler.Plan plan = Upcycler.plan(r, model); // refuses a wrong checkpoint before any output
      String method = r.experts() + "x top-" + r.topK();
      return write(
          StepKinds.UPCYCLE.name(),
          method,
          body,
          plan.items(),
          model,
          plan.config(),
          List.of(new InputRole(r.modelRef(), "model", r.model(), Map.of())),
          r.maxShardBytes(),
          outputDir,
          metricsFile,
          cancelled,
          progress,
          started,
          Map.of(
              "upcycle",
              Map.of("layers", plan.layers(), "experts", r.experts(), "top_k", r.topK())));
    }
  }

  private static Checkpoint open(Path p, List<Checkpoint> opened) throws IOException {
    Checkpoint c = Checkpoint.open(p);
    opened.add(c);
    return c;
  }

  private static Result write(
      String kind,
      String method,
      Map<String, Object> body,
      List<TensorPipeline.Item> items,
      Checkpoint reference,
      ObjectNode config,
      List<InputRole> roles,
      long maxShardBytes,
      Path outputDir,
      Path metricsFile,
      BooleanSupplier cancelled,
      Consumer<String> progress,
      long started,
      Map<String, Object> extraReport)
      throws IOException {
    try (CheckpointWriter writer =
        new CheckpointWriter(outputDir, TensorPipeline.specs(items), maxShardBytes)) {
      List<TensorStat> stats = TensorPipeline.run(items, writer, cancelled, progress);
      if (config != null) {
        writer.writeJson("config.json", config);
      }
      for (String name : CARRIED_FILES) {
        Path f = reference.dir().resolve(name);
        if (Files.isRegularFile(f)) {
          writer.copyFile(f);
        }
      }
      long params = stats.stream().mapToLong(TensorStat::numel).sum();
      ObjectNode info = trainerInfo(kind, method, reference.dir(), roles, params);
      if (info != null) {
        writer.writeJson(TRAINER_INFO, info);
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      long zeros = stats.stream().mapToLong(TensorStat::zeros).sum();
      long bytes = items.stream().mapToLong(i -> i.spec().byteSize()).sum();
      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("tensors", (double) stats.size());
      metrics.put("parameters", (double) params);
      metrics.put("sparsity", params == 0 ? 0 : (double) zeros / params);
      metrics.put("output_bytes", (double) bytes);
      metrics.put("seconds", seconds);
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("kind", kind);
      report.put("method", method);
      report.put("body", body);
      report.put(
          "inputs",
          roles.stream()
              .map(
                  ro -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("ref", ro.ref());
                    m.put("role", ro.role());
                    m.put("path", ro.path().toString());
                    m.putAll(ro.params());
                    return m;
                  })
              .toList());
      report.put("totals", metrics);
      report.putAll(extraReport);
      report.put("tensors", stats.stream().map(TensorStat::toMap).toList());
      writer.writeJson(REPORT, report);
      Map<String, WrittenFile> files = writer.commit();
      appendMetrics(metricsFile, metrics);
      progress.accept(
          kind + " done: " + stats.size() + " tensors in " + String.format("%.1f", seconds) + " s");
      return new Result(kind, method, files, roles, metrics);
    }
  }

  private static void appendMetrics(Path metricsFile, Map<String, Double> metrics)
      throws IOException {
    if (metricsFile == null) {
      return;
    }
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("step", 0);
    line.putAll(metrics);
    Files.writeString(
        metricsFile,
        JSON.writeValueAsString(line) + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  static String torchName(DType d) {
    return switch (d) {
      case F32 -> "float32";
      case F16 -> "float16";
      case BF16 -> "bfloat16";
      default -> d.name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
