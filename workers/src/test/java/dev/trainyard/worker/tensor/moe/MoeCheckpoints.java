package dev.trainyard.worker.tensor.moe;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.worker.tensor.safetensors.CheckpointWriter;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Tiny Mixtral checkpoints and hand-written routing profiles in the contract's format. */
public final class MoeCheckpoints {
  public static final int HIDDEN = 8;
  public static final int FFN = 6;
  public static final int VOCAB = 16;
  private static final ObjectMapper JSON = new ObjectMapper();

  private MoeCheckpoints() {}

  /** Random Mixtral tensors: {@code experts} experts in each of {@code layers} layers. */
  public static Map<String, float[]> mixtral(int layers, int experts, long seed) {
    Random rnd = new Random(seed);
    Map<String, float[]> t = new LinkedHashMap<>();
    t.put("model.embed_tokens.weight", gaussian(rnd, VOCAB * HIDDEN));
    for (int i = 0; i < layers; i++) {
      String p = "model.layers." + i + ".";
      for (String proj : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
        t.put(p + "self_attn." + proj + ".weight", gaussian(rnd, HIDDEN * HIDDEN));
      }
      t.put(p + "block_sparse_moe.gate.weight", gaussian(rnd, experts * HIDDEN));
      for (int j = 0; j < experts; j++) {
        for (String w : List.of("w1", "w2", "w3")) {
          t.put(MixtralLayout.expert(i, j, w), gaussian(rnd, FFN * HIDDEN));
        }
      }
      t.put(p + "input_layernorm.weight", gaussian(rnd, HIDDEN));
      t.put(p + "post_attention_layernorm.weight", gaussian(rnd, HIDDEN));
    }
    t.put("model.norm.weight", gaussian(rnd, HIDDEN));
    t.put("lm_head.weight", gaussian(rnd, VOCAB * HIDDEN));
    return t;
  }

  public static long[] shape(String name, int length) {
    if (name.endsWith(".w2.weight")) {
      return new long[] {HIDDEN, FFN};
    }
    if (name.endsWith(".w1.weight") || name.endsWith(".w3.weight")) {
      return new long[] {FFN, HIDDEN};
    }
    if (name.endsWith("layernorm.weight") || name.equals("model.norm.weight")) {
      return new long[] {length};
    }
    return new long[] {length / HIDDEN, HIDDEN};
  }

  public static String config(int layers, int experts, int topK) {
    return """
        {"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_size": %d,
         "intermediate_size": %d, "num_hidden_layers": %d, "num_attention_heads": 2,
         "num_key_value_heads": 2, "vocab_size": %d, "num_local_experts": %d,
         "num_experts_per_tok": %d, "rms_norm_eps": 1e-5, "tie_word_embeddings": false}
        """
        .formatted(HIDDEN, FFN, layers, VOCAB, experts, topK);
  }

  public static Path write(Path dir, Map<String, float[]> tensors, String config, DType dtype)
      throws IOException {
    Files.createDirectories(dir);
    List<TensorSpec> plan = new ArrayList<>();
    tensors.forEach((n, v) -> plan.add(new TensorSpec(n, dtype, shape(n, v.length))));
    try (CheckpointWriter w =
        new CheckpointWriter(dir, plan, CheckpointWriter.DEFAULT_MAX_SHARD_BYTES)) {
      for (var e : tensors.entrySet()) {
        w.writeFloats(e.getKey(), e.getValue());
      }
      w.writeFile("config.json", config.getBytes());
      w.writeFile("tokenizer.json", "{\"version\":\"1.0\"}".getBytes());
      w.commit();
    }
    return dir;
  }

  /**
   * The contract's fingerprint computed here from the tensors as stored (after dtype rounding):
   * sha256 of each layer's router as float32 little-endian, layer 0 first.
   */
  public static String fingerprint(Map<String, float[]> stored, int layers) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    for (int i = 0; i < layers; i++) {
      float[] g = stored.get("model.layers." + i + ".block_sparse_moe.gate.weight");
      ByteBuffer b = ByteBuffer.allocate(g.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (float v : g) {
        b.putFloat(v);
      }
      sha.update(b.array());
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /**
   * A profile.json in the contract's format: per layer the given frequencies and gate-weighted
   * norms; similarity null gives the identity matrix.
   */
  public static Path profile(
      Path dir,
      String fingerprint,
      int experts,
      double[][] frequency,
      double[][] gateNorm,
      double[][][] similarity)
      throws IOException {
    Files.createDirectories(dir);
    int layers = frequency.length;
    List<Map<String, Object>> ls = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      double[][] sim = similarity == null ? null : similarity[i];
      if (sim == null) {
        sim = new double[experts][experts];
        for (int j = 0; j < experts; j++) {
          sim[j][j] = 1;
        }
      }
      double[][] co = new double[experts][experts];
      for (int j = 0; j < experts; j++) {
        co[j][j] = frequency[i][j];
      }
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("layer", i);
      l.put("frequency", frequency[i]);
      l.put("mean_gate", new double[experts]);
      l.put("mean_output_norm", new double[experts]);
      l.put("gate_weighted_output_norm", gateNorm == null ? new double[experts] : gateNorm[i]);
      l.put("coactivation", co);
      l.put("router_logit_similarity", sim);
      ls.add(l);
    }
    int[] perLayer = new int[layers];
    java.util.Arrays.fill(perLayer, experts);
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("model_type", "mixtral");
    model.put("num_hidden_layers", layers);
    model.put("num_local_experts", experts);
    model.put("layer_experts", perLayer);
    model.put("num_experts_per_tok", 2);
    model.put("router_fingerprint", fingerprint);
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("format", "trainyard.routing-profile/v1");
    root.put("model", model);
    root.put("dataset", Map.of("tokens", 1000, "sequences", 10));
    root.put("layers", ls);
    JSON.writeValue(dir.resolve("profile.json").toFile(), root);
    return dir;
  }

  private static float[] gaussian(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rnd.nextGaussian() * 0.5);
    }
    return v;
  }
}
