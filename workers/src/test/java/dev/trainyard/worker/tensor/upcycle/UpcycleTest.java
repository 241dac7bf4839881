package dev.trainyard.worker.tensor.upcycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.worker.tensor.InvalidCheckpointException;
import dev.trainyard.worker.tensor.TensorSteps;
import dev.trainyard.worker.tensor.merge.MergeRequest.InvalidMergeException;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.CheckpointWriter;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny dense llama checkpoint, upcycled into the Mixtral hub layout. */
class UpcycleTest {
  private static final int HIDDEN = 16;
  private static final int INTER = 40;
  private static final int LAYERS = 2;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /** The tensors of a llama with {@link #LAYERS} layers, by name → shape. */
  private static Map<String, long[]> llamaShapes() {
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put("model.embed_tokens.weight", new long[] {32, HIDDEN});
    for (int i = 0; i < LAYERS; i++) {
      String p = "model.layers." + i + ".";
      for (String proj : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
        s.put(p + "self_attn." + proj + ".weight", new long[] {HIDDEN, HIDDEN});
      }
      s.put(p + "mlp.gate_proj.weight", new long[] {INTER, HIDDEN});
      s.put(p + "mlp.up_proj.weight", new long[] {INTER, HIDDEN});
      s.put(p + "mlp.down_proj.weight", new long[] {HIDDEN, INTER});
      s.put(p + "input_layernorm.weight", new long[] {HIDDEN});
      s.put(p + "post_attention_layernorm.weight", new long[] {HIDDEN});
    }
    s.put("model.norm.weight", new long[] {HIDDEN});
    s.put("lm_head.weight", new long[] {32, HIDDEN});
    return s;
  }

  private Path dense(String name, String config, Map<String, long[]> shapes) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(name));
    List<TensorSpec> plan = new ArrayList<>();
    shapes.forEach((n, shape) -> plan.add(new TensorSpec(n, DType.BF16, shape)));
    Random rnd = new Random(7);
    try (CheckpointWriter w =
        new CheckpointWriter(dir, plan, CheckpointWriter.DEFAULT_MAX_SHARD_BYTES)) {
      for (TensorSpec s : plan) {
        float[] v = new float[(int) s.numel()];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (rnd.nextGaussian() * 0.05);
        }
        w.writeFloats(s.name(), v);
      }
      w.writeFile("config.json", config.getBytes());
      w.writeFile("tokenizer.json", "{\"version\":\"1.0\"}".getBytes());
      w.commit();
    }
    return dir;
  }

  private static final String LLAMA =
      """
      {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 16,
       "intermediate_size": 40, "num_hidden_layers": 2, "num_attention_heads": 2,
       "num_key_value_heads": 2, "vocab_size": 32, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
       "tie_word_embeddings": false, "torch_dtype": "bfloat16"}
      """;

  private Path llama() throws IOException {
    return dense("llama", LLAMA, llamaShapes());
  }

  private static TensorSteps.Result upcycle(Path base, Path out, Map<String, Object> config)
      throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", "${{ inputs.base }}");
    body.put("config", config);
    return TensorSteps.run("upcycle", body, Map.of("base", base), out, null, () -> false, l -> {});
  }

  private static Map<String, float[]> read(Path dir) throws IOException {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (Checkpoint c = Checkpoint.open(dir)) {
      for (var e : c.tensors().entrySet()) {
        out.put(e.getKey(), e.getValue().readFloats());
      }
    }
    return out;
  }

  @Test
  void anUpcycledLlamaHasTheMixtralHubLayoutWithEveryExpertTheDenseMlpBitForBit() throws Exception {
    Path base = llama();
    Path out = tmp.resolve("moe");
    upcycle(base, out, Map.of("experts", 4, "top_k", 2));

    Map<String, long[]> expected = new TreeMap<>();
    llamaShapes()
        .forEach(
            (n, s) -> {
              if (!n.contains(".mlp.")) {
                expected.put(n, s);
              }
            });
    for (int i = 0; i < LAYERS; i++) {
      String p = "model.layers." + i + ".block_sparse_moe.";
      expected.put(p + "gate.weight", new long[] {4, HIDDEN});
      for (int j = 0; j < 4; j++) {
        expected.put(p + "experts." + j + ".w1.weight", new long[] {INTER, HIDDEN});
        expected.put(p + "experts." + j + ".w3.weight", new long[] {INTER, HIDDEN});
        expected.put(p + "experts." + j + ".w2.weight", new long[] {HIDDEN, INTER});
      }
    }
    Map<String, long[]> actual = new TreeMap<>();
    try (Checkpoint c = Checkpoint.open(out)) {
      c.tensors()
          .forEach(
              (n, e) -> {
                actual.put(n, e.info().shape());
                assertThat(e.info().dtype()).as(n).isEqualTo(DType.BF16);
              });
    }
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    expected.forEach((n, s) -> assertThat(actual.get(n)).as(n).containsExactly(s));

    Map<String, float[]> dense = read(base);
    Map<String, float[]> moe = read(out);
    for (int i = 0; i < LAYERS; i++) {
      String mlp = "model.layers." + i + ".mlp.";
      String moePrefix = "model.layers." + i + ".block_sparse_moe.";
      for (int j = 0; j < 4; j++) {
        String e = moePrefix + "experts." + j + ".";
        assertThat(Arrays.equals(moe.get(e + "w1.weight"), dense.get(mlp + "gate_proj.weight")))
            .as(e + "w1")
            .isTrue();
        assertThat(Arrays.equals(moe.get(e + "w3.weight"), dense.get(mlp + "up_proj.weight")))
            .as(e + "w3")
            .isTrue();
        assertThat(Arrays.equals(moe.get(e + "w2.weight"), dense.get(mlp + "down_proj.weight")))
            .as(e + "w2")
            .isTrue();
      }
      assertThat(moe.get(moePrefix + "gate.weight")).containsOnly(0f);
    }
    for (String n :
        List.of(
            "model.embed_tokens.weight",
            "model.layers.1.self_attn.q_proj.weight",
            "lm_head.weight")) {
      assertThat(Arrays.equals(moe.get(n), dense.get(n))).as(n).isTrue();
    }

    JsonNode config = JSON.readTree(out.resolve("config.json").toFile());
    assertThat(config.get("model_type").asText()).isEqualTo("mixtral");
    assertThat(config.get("architectures").toString()).isEqualTo("[\"MixtralForCausalLM\"]");
    assertThat(config.get("num_local_experts").asInt()).isEqualTo(4);
    assertThat(config.get("num_experts_per_tok").asInt()).isEqualTo(2);
    assertThat(config.get("router_aux_loss_coef").asDouble()).isEqualTo(0.001);
    assertThat(config.get("output_router_logits").asBoolean(true)).isFalse();
    assertThat(config.get("intermediate_size").asInt()).isEqualTo(INTER);
    assertThat(config.get("rope_theta").asDouble()).isEqualTo(10000.0);
    assertThat(out.resolve("tokenizer.json")).exists();
  }

  @Test
  void noiseChangesExpertsAfterTheFirstAndTheSameSeedGivesTheSameCheckpoint() throws Exception {
    Path base = llama();
    Map<String, Object> noisy =
        Map.of("experts", 3, "noise", 0.1, "seed", 5, "router_init", "normal", "router_std", 0.5);
    upcycle(base, tmp.resolve("a"), noisy);
    upcycle(base, tmp.resolve("b"), noisy);
    upcycle(
        base,
        tmp.resolve("c"),
        Map.of("experts", 3, "noise", 0.1, "seed", 6, "router_init", "normal", "router_std", 0.5));
    Map<String, float[]> dense = read(base);
    Map<String, float[]> a = read(tmp.resolve("a"));
    Map<String, float[]> b = read(tmp.resolve("b"));
    Map<String, float[]> c = read(tmp.resolve("c"));

    String e = "model.layers.0.block_sparse_moe.experts.";
    float[] w = dense.get("model.layers.0.mlp.gate_proj.weight");
    assertThat(Arrays.equals(a.get(e + "0.w1.weight"), w)).as("expert 0 stays dense").isTrue();
    for (int j = 1; j < 3; j++) {
      float[] x = a.get(e + j + ".w1.weight");
      assertThat(Arrays.equals(x, w)).as("expert " + j + " has noise").isFalse();
      // noise 0.1 of the tensor's std: the relative change is about 0.1
      double num = 0;
      double den = 0;
      for (int i = 0; i < w.length; i++) {
        num += (x[i] - w[i]) * (x[i] - w[i]);
        den += w[i] * w[i];
      }
      assertThat(Math.sqrt(num / den)).isBetween(0.07, 0.13);
    }
    assertThat(Arrays.equals(a.get(e + "1.w1.weight"), a.get(e + "2.w1.weight"))).isFalse();
    for (String n : a.keySet()) {
      assertThat(Arrays.equals(a.get(n), b.get(n))).as(n + " same seed").isTrue();
    }
    assertThat(Arrays.equals(a.get(e + "1.w1.weight"), c.get(e + "1.w1.weight"))).isFalse();
    float[] router = a.get("model.layers.0.block_sparse_moe.gate.weight");
    double sq = 0;
    for (float v : router) {
      sq += v * v;
    }
    assertThat(Math.sqrt(sq / router.length)).isBetween(0.35, 0.65);
  }

  @Test
  void aQwenCheckpointIsRefusedNamingTheSupportedSourcesAndNothingIsWritten() throws Exception {
    Path qwen = dense("qwen", LLAMA.replace("\"llama\"", "\"qwen2\""), llamaShapes());
    Path out = tmp.resolve("out");
    var e =
        catchThrowableOfType(
            InvalidCheckpointException.class, () -> upcycle(qwen, out, Map.of("experts", 2)));
    assertThat(e.problems())
        .containsExactly(
            "model (${{ inputs.base }}): model_type 'qwen2' cannot be upcycled; supported sources:"
                + " llama, mistral (Mixtral has no attention biases or q/k norms)");
    assertThat(out).doesNotExist();
  }

  @Test
  void aMixtureOfExpertsIsNotUpcycledAgain() throws Exception {
    Path moe = llama();
    upcycle(moe, tmp.resolve("moe"), Map.of("experts", 2));
    var e =
        catchThrowableOfType(
            InvalidCheckpointException.class,
            () -> upcycle(tmp.resolve("moe"), tmp.resolve("again"), Map.of("experts", 2)));
    assertThat(e.getMessage()).contains("is already a mixture of experts (num_local_experts 2)");
    assertThat(tmp.resolve("again")).doesNotExist();
  }

  @Test
  void aMissingMlpTensorIsRefusedByName() throws Exception {
    Map<String, long[]> shapes = llamaShapes();
    shapes.remove("model.layers.1.mlp.down_proj.weight");
    Path broken = dense("broken", LLAMA.replace("\"llama\"", "\"mistral\""), shapes);
    var e =
        catchThrowableOfType(
            InvalidCheckpointException.class,
            () -> upcycle(broken, tmp.resolve("out"), Map.of("experts", 2)));
    assertThat(e.problems())
        .containsExactly(
            "model (${{ inputs.base }}): missing tensor model.layers.1.mlp.down_proj.weight");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  @Test
  void badSettingsAreRefusedWithTheirPathsBeforeTheCheckpointIsRead() throws Exception {
    Path base = llama();
    var e =
        catchThrowableOfType(
            InvalidMergeException.class,
            () ->
                upcycle(base, tmp.resolve("out"), Map.of("experts", 1, "router_init", "uniform")));
    assertThat(e.errors())
        .containsExactly(
            "config.experts: must be between 2 and 64",
            "config.router_init: must be 'zeros' or 'normal'");
  }
}
