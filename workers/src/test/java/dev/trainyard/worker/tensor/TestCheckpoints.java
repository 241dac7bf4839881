package dev.trainyard.worker.tensor;

import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.CheckpointWriter;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Test checkpoints: random tensors written through the engine's writer, read back as floats. */
public final class TestCheckpoints {
  private TestCheckpoints() {}

  public static final Map<String, long[]> SHAPES = new LinkedHashMap<>();

  /** Shapes for hand-made tensors in one test. */
  public static final ThreadLocal<Map<String, long[]>> SHAPES_OVERRIDE = new ThreadLocal<>();

  static {
    SHAPES.put("model.embed_tokens.weight", new long[] {32, 16});
    SHAPES.put("model.layers.0.self_attn.q_proj.weight", new long[] {16, 16});
    SHAPES.put("model.layers.0.mlp.up_proj.weight", new long[] {64, 16});
    SHAPES.put("model.layers.0.input_layernorm.weight", new long[] {16});
    SHAPES.put("lm_head.weight", new long[] {32, 16});
  }

  private static long[] shapeOf(String name, int n) {
    Map<String, long[]> o = SHAPES_OVERRIDE.get();
    if (o != null && o.containsKey(name)) {
      return o.get(name);
    }
    return SHAPES.getOrDefault(name, new long[] {n});
  }

  public static Map<String, float[]> random(long seed, double scale) {
    Random rnd = new Random(seed);
    Map<String, float[]> out = new LinkedHashMap<>();
    SHAPES.forEach(
        (name, shape) -> {
          float[] v =
              new float[(int) dev.trainyard.worker.tensor.safetensors.TensorInfo.numel(shape)];
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() * scale);
          }
          out.put(name, v);
        });
    return out;
  }

  /** base + small perturbation, like a fine-tune of it. */
  public static Map<String, float[]> fineTune(Map<String, float[]> base, long seed, double scale) {
    Random rnd = new Random(seed);
    Map<String, float[]> out = new LinkedHashMap<>();
    base.forEach(
        (name, v) -> {
          float[] c = v.clone();
          for (int i = 0; i < c.length; i++) {
            c[i] += (float) (rnd.nextGaussian() * scale);
          }
          out.put(name, c);
        });
    return out;
  }

  public static Path write(Path dir, Map<String, float[]> tensors, DType dtype) throws IOException {
    return write(dir, tensors, dtype, CheckpointWriter.DEFAULT_MAX_SHARD_BYTES);
  }

  public static Path write(Path dir, Map<String, float[]> tensors, DType dtype, long maxShard)
      throws IOException {
    List<TensorSpec> plan = new ArrayList<>();
    tensors.forEach((name, v) -> plan.add(new TensorSpec(name, dtype, shapeOf(name, v.length))));
    try (CheckpointWriter w = new CheckpointWriter(dir, plan, maxShard)) {
      for (var e : tensors.entrySet()) {
        w.writeFloats(e.getKey(), e.getValue());
      }
      w.writeFile(
          "config.json",
          "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"hidden_size\":16}"
              .getBytes());
      w.writeFile("tokenizer.json", "{\"version\":\"1.0\"}".getBytes());
      w.commit();
    }
    return dir;
  }

  /** Reads a checkpoint back (the values as stored, i.e. after rounding to its dtype). */
  public static Map<String, float[]> read(Path dir) throws IOException {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (Checkpoint c = Checkpoint.open(dir)) {
      for (var e : c.tensors().entrySet()) {
        out.put(e.getKey(), e.getValue().readFloats());
      }
    }
    return out;
  }

  public static Path dir(Path root, String name) throws IOException {
    return Files.createDirectories(root.resolve(name));
  }

  /** ‖a − b‖ / ‖b‖ (0 when both are 0). */
  public static double relError(float[] actual, double[] expected) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < expected.length; i++) {
      double d = actual[i] - expected[i];
      num += d * d;
      den += expected[i] * expected[i];
    }
    return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
  }
}
