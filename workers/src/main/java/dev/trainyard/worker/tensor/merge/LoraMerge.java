package dev.trainyard.worker.tensor.merge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.worker.tensor.Parallel;
import dev.trainyard.worker.tensor.TensorPipeline;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.SafetensorsFile;
import dev.trainyard.worker.tensor.safetensors.TensorInfo;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Method {@code lora}: folds PEFT LoRA adapters into their base checkpoint. For each base tensor
 * some adapter updates, {@code W' = W + Σᵢ weightᵢ · (alphaᵢ / rᵢ) · (Bᵢ · Aᵢ)}, computed in fp32;
 * every other tensor is copied as it is. Streaming like the other methods: one base tensor and its
 * adapters' A and B (rank r, small) are in memory at a time.
 *
 * <p>Adapters are in PEFT's layout: {@value #CONFIG} ({@code r}, {@code lora_alpha}) and {@value
 * #WEIGHTS} with {@code base_model.model.<module>.lora_A.weight} [r, in] and {@code
 * ...lora_B.weight} [out, r], updating the base tensor {@code <module>.weight} [out, in]. Variants
 * that scale or decompose differently (rsLoRA, DoRA, per-module ranks, trained biases,
 * fan-in-fan-out layers) are refused rather than folded wrongly.
 */
public final class LoraMerge {
  public static final String CONFIG = "adapter_config.json";
  public static final String WEIGHTS = "adapter_model.safetensors";

  private static final Pattern KEY =
      Pattern.compile("^base_model\\.model\\.(.+)\\.lora_([AB])\\.weight$");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_LISTED = 20;

  private LoraMerge() {}

  /** A and B of one adapted module. */
  private record Pair(TensorInfo a, TensorInfo b) {}

  /** One opened adapter: its scale alpha/r and, per base tensor it updates, its A and B. */
  public static final class Adapter implements AutoCloseable {
    private final Path dir;
    private final SafetensorsFile file;
    private final int rank;
    private final double alpha;
    private final Map<String, Pair> byTarget;

    private Adapter(
        Path dir, SafetensorsFile file, int rank, double alpha, Map<String, Pair> byTarget) {
      this.dir = dir;
      this.file = file;
      this.rank = rank;
      this.alpha = alpha;
      this.byTarget = byTarget;
    }

    public Path dir() {
      return dir;
    }

    public int rank() {
      return rank;
    }

    public double alpha() {
      return alpha;
    }

    /** Names of the base tensors it updates. */
    public java.util.Set<String> targets() {
      return byTarget.keySet();
    }

    @Override
    public void close() throws IOException {
      if (file != null) {
        file.close();
      }
    }
  }

  /** Whether a directory holds an adapter rather than a checkpoint. */
  public static boolean isAdapter(Path dir) {
    return Files.isRegularFile(dir.resolve(CONFIG));
  }

  /**
   * Opens every adapter and checks it against the base: its config, each key's module, shapes and
   * dtypes. Every problem of every adapter is listed at once, before any output is written.
   */
  public static List<Adapter> open(List<Path> dirs, Checkpoint base) throws IOException {
    List<String> errors = new ArrayList<>();
    List<Adapter> adapters = new ArrayList<>();
    try {
      for (int i = 0; i < dirs.size(); i++) {
        Adapter adapter =
            open("models[" + i + "].model (" + dirs.get(i) + ")", dirs.get(i), base, errors);
        if (adapter != null) {
          adapters.add(adapter);
        }
      }
      if (!errors.isEmpty()) {
        List<String> shown =
            errors.size() > MAX_LISTED ? new ArrayList<>(errors.subList(0, MAX_LISTED)) : errors;
        if (errors.size() > MAX_LISTED) {
          shown.add("… and " + (errors.size() - MAX_LISTED) + " more");
        }
        throw new MergeRequest.InvalidMergeException(shown);
      }
      return adapters;
    } catch (IOException | RuntimeException e) {
      for (Adapter a : adapters) {
        a.close();
      }
      throw e;
    }
  }

  private static Adapter open(String at, Path dir, Checkpoint base, List<String> errors)
      throws IOException {
    Path configFile = dir.resolve(CONFIG);
    if (!Files.isRegularFile(configFile)) {
      errors.add(
          at
              + ": not a LoRA adapter (no "
              + CONFIG
              + (Files.isRegularFile(dir.resolve("config.json"))
                  ? "; it is a checkpoint, which method lora cannot fold in)"
                  : ")"));
      return null;
    }
    JsonNode config;
    try {
      config = JSON.readTree(Files.readString(configFile));
    } catch (JsonProcessingException e) {
      errors.add(at + ": " + CONFIG + " is not valid JSON: " + e.getOriginalMessage());
      return null;
    }
    if (config == null || !config.isObject()) {
      errors.add(at + ": " + CONFIG + " is not a JSON object");
      return null;
    }
    int before = errors.size();
    String peftType = config.path("peft_type").asText("LORA");
    if (!peftType.equalsIgnoreCase("LORA")) {
      errors.add(at + ": peft_type is " + peftType + "; method lora folds LORA adapters only");
    }
    JsonNode r = config.get("r");
    int rank = r != null && r.canConvertToInt() && r.isIntegralNumber() ? r.asInt() : 0;
    if (rank <= 0) {
      errors.add(at + ": " + CONFIG + " r must be a positive integer, got " + r);
    }
    JsonNode alphaNode = config.get("lora_alpha");
    double alpha = alphaNode != null && alphaNode.isNumber() ? alphaNode.asDouble() : Double.NaN;
    if (!(alpha > 0) || Double.isInfinite(alpha)) {
      errors.add(at + ": " + CONFIG + " lora_alpha must be a positive number, got " + alphaNode);
    }
    // Each of these changes what B·A means; folding them as plain LoRA would be silently wrong.
    if (config.path("use_rslora").asBoolean(false)) {
      errors.add(at + ": use_rslora (scale alpha/√r) is not supported; train without rsLoRA");
    }
    if (config.path("use_dora").asBoolean(false)) {
      errors.add(at + ": use_dora (weight-decomposed LoRA) is not supported");
    }
    if (config.path("fan_in_fan_out").asBoolean(false)) {
      errors.add(at + ": fan_in_fan_out (transposed Conv1D weights) is not supported");
    }
    if (!config.path("bias").asText("none").equals("none")) {
      errors.add(
          at + ": bias is " + config.path("bias").asText() + "; only adapters with bias none fold");
    }
    for (String patterned : List.of("rank_pattern", "alpha_pattern")) {
      JsonNode p = config.get(patterned);
      if (p != null && !p.isNull() && !p.isEmpty()) {
        errors.add(at + ": " + patterned + " (per-module rank or alpha) is not supported");
      }
    }
    JsonNode saved = config.get("modules_to_save");
    if (saved != null && !saved.isNull() && !saved.isEmpty()) {
      errors.add(at + ": modules_to_save " + saved + " is not supported (full copies of modules)");
    }
    Path weights = dir.resolve(WEIGHTS);
    if (!Files.isRegularFile(weights)) {
      errors.add(at + ": no " + WEIGHTS);
      return null;
    }
    SafetensorsFile file = SafetensorsFile.open(weights);
    Map<String, TensorInfo[]> found = new LinkedHashMap<>();
    for (TensorInfo info : file.tensors().values()) {
      Matcher m = KEY.matcher(info.name());
      if (!m.matches()) {
        errors.add(
            at
                + ": tensor '"
                + info.name()
                + "' is not a LoRA weight (base_model.model.<module>.lora_A.weight or lora_B.weight)");
        continue;
      }
      if (!info.dtype().isFloat()) {
        errors.add(at + ": tensor '" + info.name() + "' has dtype " + info.dtype());
      }
      found
              .computeIfAbsent(m.group(1) + ".weight", k -> new TensorInfo[2])[
              m.group(2).equals("A") ? 0 : 1] =
          info;
    }
    if (found.isEmpty() && errors.size() == before) {
      errors.add(at + ": " + WEIGHTS + " holds no lora_A/lora_B tensors");
    }
    Map<String, Pair> byTarget = new LinkedHashMap<>();
    for (var e : found.entrySet()) {
      String target = e.getKey();
      TensorInfo a = e.getValue()[0];
      TensorInfo b = e.getValue()[1];
      if (a == null || b == null) {
        errors.add(
            at
                + ": tensor '"
                + (a == null ? b : a).name()
                + "' has no "
                + (a == null ? "lora_A" : "lora_B")
                + " partner");
        continue;
      }
      Checkpoint.Entry w = base.tensors().get(target);
      if (w == null) {
        errors.add(
            at
                + ": tensor '"
                + a.name()
                + "' matches no base tensor (the base has no '"
                + target
                + "')");
        continue;
      }
      TensorInfo wi = w.info();
      boolean shapes =
          wi.rank() == 2
              && a.rank() == 2
              && b.rank() == 2
              && a.dim(0) == rank
              && b.dim(1) == rank
              && a.dim(1) == wi.dim(1)
              && b.dim(0) == wi.dim(0);
      if (!shapes) {
        errors.add(
            at
                + ": tensors '"
                + a.name()
                + "' "
                + a.shapeText()
                + " and '"
                + b.name()
                + "' "
                + b.shapeText()
                + " do not fit base '"
                + target
                + "' "
                + wi.shapeText()
                + " with r="
                + rank
                + " (expected A [r, in] and B [out, r])");
        continue;
      }
      if (!wi.dtype().isFloat()) {
        errors.add(at + ": base tensor '" + target + "' has dtype " + wi.dtype());
        continue;
      }
      byTarget.put(target, new Pair(a, b));
    }
    if (errors.size() > before) {
      file.close();
      return null;
    }
    return new Adapter(dir, file, rank, alpha, byTarget);
  }

  /**
   * One pipeline item per base tensor, in the base's order: updated ones computed, the others
   * copied byte for byte (converted only when {@code config.dtype} asks for another dtype).
   */
  public static List<TensorPipeline.Item> plan(
      MergeRequest r, Checkpoint base, List<Adapter> adapters) {
    DType forced = r.dtype() == null ? null : DType.fromConfigName(r.dtype());
    List<MergeSettings.ModelParams> params = r.settings().models();
    List<TensorPipeline.Item> items = new ArrayList<>();
    for (var e : base.tensors().entrySet()) {
      String name = e.getKey();
      TensorInfo info = e.getValue().info();
      boolean updated = adapters.stream().anyMatch(a -> a.byTarget.containsKey(name));
      DType out = forced != null && info.dtype().isFloat() ? forced : info.dtype();
      if (!updated && out == info.dtype()) {
        items.add(
            TensorPipeline.Item.copied(
                new TensorSpec(name, info.dtype(), info.shape()), e.getValue()));
        continue;
      }
      items.add(
          TensorPipeline.Item.computed(
              new TensorSpec(name, out, info.shape()),
              () -> {
                float[] w = e.getValue().readFloats();
                for (int i = 0; i < adapters.size(); i++) {
                  Adapter adapter = adapters.get(i);
                  Pair pair = adapter.byTarget.get(name);
                  if (pair == null) {
                    continue;
                  }
                  double weight = params.get(i).weight(name);
                  float coef = (float) (weight * adapter.alpha / adapter.rank);
                  addUpdate(
                      w,
                      adapter.file.readFloats(pair.a()),
                      adapter.file.readFloats(pair.b()),
                      (int) info.dim(0),
                      (int) info.dim(1),
                      adapter.rank,
                      coef);
                }
                return w;
              }));
    }
    return items;
  }

  /**
   * {@code w += coef · (b · a)} for {@code w} [rows, cols], {@code b} [rows, rank], {@code a}
   * [rank, cols], all row-major. Row by row: the update of one row is accumulated in fp32 over the
   * rank (small) and added to it once; the inner loops run over contiguous columns, which C2
   * vectorises.
   */
  static void addUpdate(float[] w, float[] a, float[] b, int rows, int cols, int rank, float coef) {
    Parallel.forRange(
        rows,
        Math.max(1, Parallel.MIN_CHUNK / Math.max(1, cols)),
        (from, to) -> {
          float[] delta = new float[cols];
          for (int o = from; o < to; o++) {
            java.util.Arrays.fill(delta, 0f);
            for (int k = 0; k < rank; k++) {
              float c = b[o * rank + k];
              int ak = k * cols;
              for (int j = 0; j < cols; j++) {
                delta[j] += c * a[ak + j];
              }
            }
            int row = o * cols;
            for (int j = 0; j < cols; j++) {
              w[row + j] += coef * delta[j];
            }
          }
        });
  }
}
