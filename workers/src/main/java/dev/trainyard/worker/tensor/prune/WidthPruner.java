package dev.trainyard.worker.tensor.prune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trainyard.worker.tensor.TensorPipeline;
import dev.trainyard.worker.tensor.merge.MergeRequest.InvalidMergeException;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.TensorInfo;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Structured width pruning of a Llama-shaped checkpoint (method {@code width}): removes whole MLP
 * intermediate channels and whole attention KV groups by weight norm, slices the affected matrices
 * and rewrites {@code config.json} into the smaller model.
 *
 * <p><b>MLP channels.</b> Channel {@code j} of a layer is scored {@code ‖gate_proj[j,:]‖₂ ·
 * ‖up_proj[j,:]‖₂ + ‖down_proj[:,j]‖₂}. The channel's activation is {@code silu(gate·x) · (up·x)},
 * so the product of the two input-row norms bounds how large it can get (linearly in each), while
 * the down column norm is how strongly the channel writes back into the residual stream; their sum
 * keeps a channel that matters on either side. The same number of channels, {@code max(1, round(ffn
 * · (1 − mlp_ratio)))}, is kept in every layer so {@code intermediate_size} stays uniform.
 *
 * <p><b>Attention heads.</b> With grouped-query attention a KV head serves {@code heads / kv_heads}
 * query heads (query head {@code h} uses group {@code h / rep}, as HF's {@code repeat_kv}), so
 * whole groups are removed: group {@code g} is scored by the L2 norm of all its weights together —
 * its query rows, key rows, value rows and the {@code o_proj} columns of its query heads. Every
 * layer keeps {@code max(1, round(kv_heads · (1 − heads_ratio)))} groups.
 *
 * <p>Ties keep the lower index; kept indices stay in their original order. Biases ({@code
 * *_proj.bias}) are sliced like their weight's rows; every other tensor is copied byte for byte,
 * and dtypes are preserved. Scoring reads one tensor at a time; each sliced tensor is produced from
 * its own input only.
 */
public final class WidthPruner {
  private static final Pattern LAYER = Pattern.compile("^model\\.layers\\.(\\d+)\\.");
  private static final Pattern PROJ =
      Pattern.compile(
          "^model\\.layers\\.(\\d+)\\.(mlp|self_attn)\\.(gate|up|down|q|k|v|o)_proj\\.(weight|bias)$");

  private WidthPruner() {}

  /** Kept indices of one layer: MLP channels and KV groups (null for a part not pruned). */
  public record Layer(int index, int[] keptChannels, int[] keptGroups) {}

  /** The planned output: items in input order, the rewritten config and the report section. */
  public record Plan(
      List<TensorPipeline.Item> items,
      ObjectNode config,
      List<Layer> layers,
      Map<String, Object> report) {}

  /** Model dimensions from {@code config.json}. */
  private record Dims(int layers, int hidden, int ffn, int heads, int kvHeads, int headDim) {
    int rep() {
      return heads / kvHeads;
    }
  }

  /**
   * Validates the checkpoint against the Llama layout, scores every layer and plans the sliced
   * output.
   *
   * @throws IllegalArgumentException naming every problem when the checkpoint is not Llama-shaped;
   *     nothing has been written then
   */
  public static Plan plan(PruneRequest r, Checkpoint model) throws IOException {
    boolean mlp = r.mlpRatio() > 0;
    boolean attn = r.headsRatio() > 0;
    ObjectNode config =
        model
            .config()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "model: width pruning rewrites config.json, but "
                            + model.dir()
                            + " has none"));
    Dims dims = dims(config, model, mlp, attn);
    int keepChannels =
        mlp ? Math.max(1, (int) Math.round(dims.ffn() * (1 - r.mlpRatio()))) : dims.ffn();
    int keepGroups =
        attn
            ? Math.max(1, (int) Math.round(dims.kvHeads() * (1 - r.headsRatio())))
            : dims.kvHeads();

    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < dims.layers(); i++) {
      int[] channels = mlp ? topK(mlpScores(model, i), keepChannels) : null;
      int[] groups = attn ? topK(groupScores(model, i, dims), keepGroups) : null;
      layers.add(new Layer(i, channels, groups));
    }

    List<TensorPipeline.Item> items = new ArrayList<>();
    long before = 0;
    long after = 0;
    for (var e : model.tensors().entrySet()) {
      String name = e.getKey();
      Checkpoint.Entry source = e.getValue();
      TensorInfo info = source.info();
      before += info.numel();
      Matcher m = PROJ.matcher(name);
      Slice slice = null;
      if (m.matches()) {
        int layer = Integer.parseInt(m.group(1));
        Layer l = layer < layers.size() ? layers.get(layer) : null;
        slice = l == null ? null : slice(m.group(3), m.group(4).equals("bias"), l, dims);
      }
      if (slice == null) {
        items.add(
            TensorPipeline.Item.copied(new TensorSpec(name, info.dtype(), info.shape()), source));
        after += info.numel();
        continue;
      }
      Slice s = slice;
      long[] shape = s.shape(info.shape());
      TensorSpec spec = new TensorSpec(name, info.dtype(), shape);
      after += spec.numel();
      items.add(
          TensorPipeline.Item.computed(spec, () -> s.apply(source.readFloats(), info.shape())));
    }

    ObjectNode out = config.deepCopy();
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("mlp_ratio", r.mlpRatio());
    report.put("heads_ratio", r.headsRatio());
    report.put(
        "scores",
        Map.of(
            "mlp", "|gate_proj[j,:]|_2 * |up_proj[j,:]|_2 + |down_proj[:,j]|_2",
            "heads", "|q rows, k rows, v rows, o columns of the KV group|_2"));
    if (mlp) {
      out.put("intermediate_size", keepChannels);
      report.put("intermediate_size", Map.of("before", dims.ffn(), "after", keepChannels));
    }
    if (attn) {
      out.put("num_attention_heads", keepGroups * dims.rep());
      out.put("num_key_value_heads", keepGroups);
      out.put("head_dim", dims.headDim());
      report.put(
          "num_attention_heads", Map.of("before", dims.heads(), "after", keepGroups * dims.rep()));
      report.put("num_key_value_heads", Map.of("before", dims.kvHeads(), "after", keepGroups));
      report.put("head_dim", dims.headDim());
    }
    report.put("parameters_before", before);
    report.put("parameters_after", after);
    report.put(
        "layers",
        layers.stream()
            .map(
                l -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("layer", l.index());
                  if (l.keptChannels() != null) {
                    m.put("kept_channels", l.keptChannels());
                  }
                  if (l.keptGroups() != null) {
                    m.put("kept_kv_groups", l.keptGroups());
                  }
                  return m;
                })
            .toList());
    return new Plan(items, out, layers, report);
  }

  // ---- validation
  // ---------------------------------------------------------------------------------

  private static Dims dims(ObjectNode config, Checkpoint model, boolean mlp, boolean attn) {
    List<String> errors = new ArrayList<>();
    int hidden = intKey(config, "hidden_size", -1, errors);
    int heads = attn ? intKey(config, "num_attention_heads", -1, errors) : 1;
    int kvHeads = attn ? intKey(config, "num_key_value_heads", heads, errors) : 1;
    int headDim =
        attn && heads > 0
            ? intKey(config, "head_dim", hidden > 0 ? hidden / heads : -1, errors)
            : 1;
    if (attn && heads > 0 && kvHeads > 0 && heads % kvHeads != 0) {
      errors.add(
          "model: config.json num_attention_heads "
              + heads
              + " is not a multiple of num_key_value_heads "
              + kvHeads);
    }
    TreeSet<Integer> present = new TreeSet<>();
    for (String name : model.tensors().keySet()) {
      Matcher m = LAYER.matcher(name);
      if (m.find()) {
        present.add(Integer.parseInt(m.group(1)));
      }
    }
    int layers =
        config.has("num_hidden_layers")
            ? intKey(config, "num_hidden_layers", -1, errors)
            : present.isEmpty() ? 0 : present.last() + 1;
    if (layers <= 0) {
      errors.add("model: no decoder layers (model.layers.N.*) found");
    } else if (!present.isEmpty() && present.last() >= layers) {
      errors.add(
          "model: tensors of layer "
              + present.last()
              + " but config.json num_hidden_layers is "
              + layers);
    }
    int ffn = -1;
    if (mlp) {
      ffn = config.has("intermediate_size") ? intKey(config, "intermediate_size", -1, errors) : -1;
      if (ffn < 0 && layers > 0) {
        TensorInfo gate = info(model, "model.layers.0.mlp.gate_proj.weight");
        ffn = gate != null && gate.rank() == 2 ? (int) gate.dim(0) : -1;
        if (ffn < 0) {
          errors.add("model: config.json has no intermediate_size");
        }
      }
    }
    // presence is checked always; shapes where the config gave the dimensions
    for (int i = 0; i < layers; i++) {
      String p = "model.layers." + i + ".";
      if (mlp) {
        expect(model, p + "mlp.gate_proj.weight", new long[] {ffn, hidden}, errors);
        expect(model, p + "mlp.up_proj.weight", new long[] {ffn, hidden}, errors);
        expect(model, p + "mlp.down_proj.weight", new long[] {hidden, ffn}, errors);
        expectBias(model, p + "mlp.gate_proj.bias", ffn, errors);
        expectBias(model, p + "mlp.up_proj.bias", ffn, errors);
      }
      if (attn) {
        long q = (long) heads * headDim;
        long kv = (long) kvHeads * headDim;
        expect(model, p + "self_attn.q_proj.weight", new long[] {q, hidden}, errors);
        expect(model, p + "self_attn.k_proj.weight", new long[] {kv, hidden}, errors);
        expect(model, p + "self_attn.v_proj.weight", new long[] {kv, hidden}, errors);
        expect(model, p + "self_attn.o_proj.weight", new long[] {hidden, q}, errors);
        expectBias(model, p + "self_attn.q_proj.bias", q, errors);
        expectBias(model, p + "self_attn.k_proj.bias", kv, errors);
        expectBias(model, p + "self_attn.v_proj.bias", kv, errors);
      }
    }
    if (!errors.isEmpty()) {
      List<String> all = new ArrayList<>();
      all.add("model: width pruning needs a Llama-shaped checkpoint (" + model.dir() + ")");
      all.addAll(errors.size() > 20 ? errors.subList(0, 20) : errors);
      if (errors.size() > 20) {
        all.add("... and " + (errors.size() - 20) + " more");
      }
      throw new InvalidMergeException(all);
    }
    return new Dims(layers, hidden, ffn, heads, kvHeads, headDim);
  }

  private static int intKey(ObjectNode config, String key, int fallback, List<String> errors) {
    JsonNode v = config.get(key);
    if (v == null || v.isNull()) {
      if (fallback <= 0) {
        errors.add("model: config.json has no " + key);
      }
      return fallback;
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() <= 0) {
      errors.add("model: config.json " + key + " must be a positive integer, got " + v);
      return -1;
    }
    return v.intValue();
  }

  private static TensorInfo info(Checkpoint model, String name) {
    Checkpoint.Entry e = model.tensors().get(name);
    return e == null ? null : e.info();
  }

  private static void expect(Checkpoint model, String name, long[] shape, List<String> errors) {
    TensorInfo i = info(model, name);
    if (i == null) {
      errors.add("model: missing tensor '" + name + "'");
    } else if (Arrays.stream(shape).anyMatch(x -> x <= 0)) {
      return; // a dimension the config does not give: reported already
    } else if (!Arrays.equals(i.shape(), shape)) {
      errors.add(
          "model: tensor '"
              + name
              + "' has shape "
              + i.shapeText()
              + ", expected "
              + Arrays.toString(shape));
    } else if (!i.dtype().isFloat()) {
      errors.add("model: tensor '" + name + "' has dtype " + i.dtype() + ", not a float type");
    }
  }

  private static void expectBias(Checkpoint model, String name, long length, List<String> errors) {
    if (info(model, name) != null) {
      expect(model, name, new long[] {length}, errors);
    }
  }

  // ---- scoring
  // ------------------------------------------------------------------------------------

  private static double[] mlpScores(Checkpoint model, int layer) throws IOException {
    String p = "model.layers." + layer + ".mlp.";
    TensorInfo gi = model.entry(p + "gate_proj.weight").info();
    int ffn = (int) gi.dim(0);
    int d = (int) gi.dim(1);
    double[] gate = rowNorms(model.entry(p + "gate_proj.weight").readFloats(), ffn, d);
    double[] up = rowNorms(model.entry(p + "up_proj.weight").readFloats(), ffn, d);
    double[] down = columnSquares(model.entry(p + "down_proj.weight").readFloats(), d, ffn);
    double[] score = new double[ffn];
    for (int j = 0; j < ffn; j++) {
      score[j] = gate[j] * up[j] + Math.sqrt(down[j]);
    }
    return score;
  }

  private static double[] groupScores(Checkpoint model, int layer, Dims dims) throws IOException {
    String p = "model.layers." + layer + ".self_attn.";
    int hd = dims.headDim();
    int rep = dims.rep();
    int d = dims.hidden();
    double[] sq = new double[dims.kvHeads()];
    // q rows: head h occupies rows [h·hd, (h+1)·hd) and belongs to group h / rep
    double[] q = rowSquares(model.entry(p + "q_proj.weight").readFloats(), dims.heads() * hd, d);
    for (int row = 0; row < q.length; row++) {
      sq[row / hd / rep] += q[row];
    }
    for (String kv : List.of("k_proj", "v_proj")) {
      double[] rows =
          rowSquares(model.entry(p + kv + ".weight").readFloats(), dims.kvHeads() * hd, d);
      for (int row = 0; row < rows.length; row++) {
        sq[row / hd] += rows[row];
      }
    }
    double[] o = columnSquares(model.entry(p + "o_proj.weight").readFloats(), d, dims.heads() * hd);
    for (int col = 0; col < o.length; col++) {
      sq[col / hd / rep] += o[col];
    }
    for (int g = 0; g < sq.length; g++) {
      sq[g] = Math.sqrt(sq[g]);
    }
    return sq;
  }

  private static double[] rowSquares(float[] x, int rows, int cols) {
    double[] out = new double[rows];
    for (int r = 0; r < rows; r++) {
      double s = 0;
      for (int c = 0, o = r * cols; c < cols; c++) {
        double v = x[o + c];
        s += v * v;
      }
      out[r] = s;
    }
    return out;
  }

  private static double[] rowNorms(float[] x, int rows, int cols) {
    double[] out = rowSquares(x, rows, cols);
    for (int r = 0; r < rows; r++) {
      out[r] = Math.sqrt(out[r]);
    }
    return out;
  }

  private static double[] columnSquares(float[] x, int rows, int cols) {
    double[] out = new double[cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0, o = r * cols; c < cols; c++) {
        double v = x[o + c];
        out[c] += v * v;
      }
    }
    return out;
  }

  /** The {@code k} highest scores' indices (ties: lower index first), in ascending index order. */
  static int[] topK(double[] score, int k) {
    return IntStream.range(0, score.length)
        .boxed()
        .sorted(Comparator.<Integer>comparingDouble(i -> -score[i]).thenComparingInt(i -> i))
        .limit(k)
        .mapToInt(Integer::intValue)
        .sorted()
        .toArray();
  }

  // ---- slicing
  // ------------------------------------------------------------------------------------

  /** Keeps the rows (dim 0) or columns (dim 1) listed in {@code index}. */
  private record Slice(int[] index, boolean columns) {
    long[] shape(long[] in) {
      long[] s = in.clone();
      s[columns ? 1 : 0] = index.length;
      return s;
    }

    float[] apply(float[] x, long[] in) {
      int cols = in.length == 1 ? 1 : (int) in[1];
      if (!columns) {
        float[] out = new float[index.length * cols];
        for (int k = 0; k < index.length; k++) {
          System.arraycopy(x, index[k] * cols, out, k * cols, cols);
        }
        return out;
      }
      int rows = (int) in[0];
      float[] out = new float[rows * index.length];
      for (int r = 0; r < rows; r++) {
        for (int k = 0; k < index.length; k++) {
          out[r * index.length + k] = x[r * cols + index[k]];
        }
      }
      return out;
    }
  }

  /** How one projection tensor is sliced, or null when it stays as it is. */
  private static Slice slice(String proj, boolean bias, Layer l, Dims dims) {
    switch (proj) {
      case "gate", "up" -> {
        return l.keptChannels() == null ? null : new Slice(l.keptChannels(), false);
      }
      case "down" -> {
        return l.keptChannels() == null || bias ? null : new Slice(l.keptChannels(), true);
      }
      case "q" -> {
        return l.keptGroups() == null
            ? null
            : new Slice(rows(l.keptGroups(), dims.rep() * dims.headDim()), false);
      }
      case "k", "v" -> {
        return l.keptGroups() == null
            ? null
            : new Slice(rows(l.keptGroups(), dims.headDim()), false);
      }
      case "o" -> {
        return l.keptGroups() == null || bias
            ? null
            : new Slice(rows(l.keptGroups(), dims.rep() * dims.headDim()), true);
      }
      default -> {
        return null;
      }
    }
  }

  /** Row indices of the kept groups when each group spans {@code width} consecutive rows. */
  private static int[] rows(int[] groups, int width) {
    int[] out = new int[groups.length * width];
    for (int k = 0; k < groups.length; k++) {
      for (int i = 0; i < width; i++) {
        out[k * width + i] = groups[k] * width + i;
      }
    }
    return out;
  }
}
