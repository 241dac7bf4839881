package dev.trainyard.worker.tensor.prune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.worker.tensor.TensorSteps;
import dev.trainyard.worker.tensor.TestCheckpoints;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class WidthPrunerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  /**
   * A small random Llama: 3 layers, hidden 16, ffn 24, 8 query heads over 4 KV groups, head_dim 6.
   */
  record Llama(int layers, int d, int ffn, int heads, int kv, int hd, boolean bias) {}

  private static final Llama SMALL = new Llama(3, 16, 24, 8, 4, 6, false);

  private static Map<String, long[]> shapes(Llama m) {
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put("model.embed_tokens.weight", new long[] {40, m.d()});
    for (int i = 0; i < m.layers(); i++) {
      String p = "model.layers." + i + ".";
      s.put(p + "input_layernorm.weight", new long[] {m.d()});
      s.put(p + "self_attn.q_proj.weight", new long[] {m.heads() * m.hd(), m.d()});
      s.put(p + "self_attn.k_proj.weight", new long[] {m.kv() * m.hd(), m.d()});
      s.put(p + "self_attn.v_proj.weight", new long[] {m.kv() * m.hd(), m.d()});
      s.put(p + "self_attn.o_proj.weight", new long[] {m.d(), m.heads() * m.hd()});
      if (m.bias()) {
        s.put(p + "self_attn.q_proj.bias", new long[] {m.heads() * m.hd()});
        s.put(p + "self_attn.k_proj.bias", new long[] {m.kv() * m.hd()});
        s.put(p + "self_attn.v_proj.bias", new long[] {m.kv() * m.hd()});
        s.put(p + "mlp.gate_proj.bias", new long[] {m.ffn()});
        s.put(p + "mlp.up_proj.bias", new long[] {m.ffn()});
        s.put(p + "mlp.down_proj.bias", new long[] {m.d()});
      }
      s.put(p + "post_attention_layernorm.weight", new long[] {m.d()});
      s.put(p + "mlp.gate_proj.weight", new long[] {m.ffn(), m.d()});
      s.put(p + "mlp.up_proj.weight", new long[] {m.ffn(), m.d()});
      s.put(p + "mlp.down_proj.weight", new long[] {m.d(), m.ffn()});
    }
    s.put("model.norm.weight", new long[] {m.d()});
    s.put("lm_head.weight", new long[] {40, m.d()});
    return s;
  }

  private Path write(String name, Llama m, DType dtype, long seed, boolean headDimInConfig)
      throws IOException {
    Map<String, long[]> shapes = shapes(m);
    Random rnd = new Random(seed);
    List<TensorSpec> plan = new ArrayList<>();
    shapes.forEach((n, s) -> plan.add(new TensorSpec(n, dtype, s)));
    Path dir = tmp.resolve(name);
    try (CheckpointWriter w =
        new CheckpointWriter(dir, plan, 4096)) { // small shards: the index path too
      for (var e : shapes.entrySet()) {
        float[] v = new float[(int) Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) rnd.nextGaussian();
        }
        w.writeFloats(e.getKey(), v);
      }
      Map<String, Object> config = new LinkedHashMap<>();
      config.put("architectures", List.of("LlamaForCausalLM"));
      config.put("model_type", "llama");
      config.put("hidden_size", m.d());
      config.put("intermediate_size", m.ffn());
      config.put("num_hidden_layers", m.layers());
      config.put("num_attention_heads", m.heads());
      config.put("num_key_value_heads", m.kv());
      if (headDimInConfig) {
        config.put("head_dim", m.hd());
      }
      w.writeFile("config.json", JSON.writeValueAsBytes(config));
      w.writeFile("tokenizer.json", "{\"version\":\"1.0\"}".getBytes());
      w.commit();
    }
    return dir;
  }

  private static Map<String, Object> body(Map<String, Object> config) {
    return Map.of("model", "${{ inputs.m }}", "method", "width", "config", config);
  }

  private Path prune(Path in, Map<String, Object> config) throws IOException {
    Path out = tmp.resolve("out-" + in.getFileName());
    TensorSteps.run("prune", body(config), Map.of("m", in), out, null, () -> false, s -> {});
    return out;
  }

  // ---- the reference: a straightforward computation over 2-D arrays
  // ---------------------------------

  private static float[][] matrix(float[] x, long[] shape) {
    int rows = (int) shape[0];
    int cols = (int) shape[1];
    float[][] m = new float[rows][cols];
    for (int r = 0; r < rows; r++) {
      m[r] = Arrays.copyOfRange(x, r * cols, (r + 1) * cols);
    }
    return m;
  }

  private static double norm(double sumSquares) {
    return Math.sqrt(sumSquares);
  }

  private static int[] best(double[] score, int k) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < score.length; i++) {
      idx.add(i);
    }
    idx.sort(
        (a, b) ->
            score[a] != score[b] ? Double.compare(score[b], score[a]) : Integer.compare(a, b));
    return idx.subList(0, k).stream().mapToInt(Integer::intValue).sorted().toArray();
  }

  private static int[] refChannels(Map<String, float[]> in, Llama m, int layer, int keep) {
    String p = "model.layers." + layer + ".mlp.";
    float[][] gate = matrix(in.get(p + "gate_proj.weight"), new long[] {m.ffn(), m.d()});
    float[][] up = matrix(in.get(p + "up_proj.weight"), new long[] {m.ffn(), m.d()});
    float[][] down = matrix(in.get(p + "down_proj.weight"), new long[] {m.d(), m.ffn()});
    double[] score = new double[m.ffn()];
    for (int j = 0; j < m.ffn(); j++) {
      double g = 0;
      double u = 0;
      double dn = 0;
      for (int c = 0; c < m.d(); c++) {
        g += (double) gate[j][c] * gate[j][c];
        u += (double) up[j][c] * up[j][c];
        dn += (double) down[c][j] * down[c][j];
      }
      score[j] = norm(g) * norm(u) + norm(dn);
    }
    return best(score, keep);
  }

  private static int[] refGroups(Map<String, float[]> in, Llama m, int layer, int keep) {
    String p = "model.layers." + layer + ".self_attn.";
    float[][] q = matrix(in.get(p + "q_proj.weight"), new long[] {m.heads() * m.hd(), m.d()});
    float[][] k = matrix(in.get(p + "k_proj.weight"), new long[] {m.kv() * m.hd(), m.d()});
    float[][] v = matrix(in.get(p + "v_proj.weight"), new long[] {m.kv() * m.hd(), m.d()});
    float[][] o = matrix(in.get(p + "o_proj.weight"), new long[] {m.d(), m.heads() * m.hd()});
    int rep = m.heads() / m.kv();
    double[] score = new double[m.kv()];
    for (int g = 0; g < m.kv(); g++) {
      double s = 0;
      for (int h = g * rep; h < (g + 1) * rep; h++) {
        for (int t = 0; t < m.hd(); t++) {
          for (int c = 0; c < m.d(); c++) {
            s += (double) q[h * m.hd() + t][c] * q[h * m.hd() + t][c];
            s += (double) o[c][h * m.hd() + t] * o[c][h * m.hd() + t];
          }
        }
      }
      for (int t = 0; t < m.hd(); t++) {
        for (int c = 0; c < m.d(); c++) {
          s += (double) k[g * m.hd() + t][c] * k[g * m.hd() + t][c];
          s += (double) v[g * m.hd() + t][c] * v[g * m.hd() + t][c];
        }
      }
      score[g] = norm(s);
    }
    return best(score, keep);
  }

  private static float[] keepRows(float[] x, int cols, List<Integer> rows) {
    float[] out = new float[rows.size() * cols];
    for (int k = 0; k < rows.size(); k++) {
      for (int c = 0; c < cols; c++) {
        out[k * cols + c] = x[rows.get(k) * cols + c];
      }
    }
    return out;
  }

  private static float[] keepCols(float[] x, int rows, int cols, List<Integer> keep) {
    float[] out = new float[rows * keep.size()];
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < keep.size(); k++) {
        out[r * keep.size() + k] = x[r * cols + keep.get(k)];
      }
    }
    return out;
  }

  private static List<Integer> headRows(int[] groups, int perGroup) {
    List<Integer> rows = new ArrayList<>();
    for (int g : groups) {
      for (int i = 0; i < perGroup; i++) {
        rows.add(g * perGroup + i);
      }
    }
    return rows;
  }

  private static int[] ints(JsonNode n) {
    int[] out = new int[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = n.get(i).intValue();
    }
    return out;
  }

  // ---- tests
  // --------------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"F32", "BF16"})
  void slicesTheLowestNormChannelsAndGroupsAndRewritesTheConfig(DType dtype) throws IOException {
    Llama m = new Llama(3, 16, 24, 8, 4, 6, true);
    Path in =
        write("in", m, dtype, 11, true); // head_dim 6 ≠ hidden / heads: the config must say so
    Path out = prune(in, Map.of("mlp_ratio", 0.5, "heads_ratio", 0.5));
    Map<String, float[]> before = TestCheckpoints.read(in);
    Map<String, float[]> after = TestCheckpoints.read(out);
    JsonNode report = JSON.readTree(out.resolve(TensorSteps.REPORT).toFile()).get("width");
    int keepChannels = 12;
    int keepGroups = 2;
    int rep = 2;
    for (int i = 0; i < m.layers(); i++) {
      int[] channels = refChannels(before, m, i, keepChannels);
      int[] groups = refGroups(before, m, i, keepGroups);
      JsonNode layer = report.get("layers").get(i);
      assertThat(ints(layer.get("kept_channels")))
          .as("layer %d channels", i)
          .containsExactly(channels);
      assertThat(ints(layer.get("kept_kv_groups")))
          .as("layer %d groups", i)
          .containsExactly(groups);
      List<Integer> ch = Arrays.stream(channels).boxed().toList();
      List<Integer> qRows = headRows(groups, rep * m.hd());
      List<Integer> kvRows = headRows(groups, m.hd());
      String p = "model.layers." + i + ".";
      assertThat(after.get(p + "mlp.gate_proj.weight"))
          .containsExactly(keepRows(before.get(p + "mlp.gate_proj.weight"), m.d(), ch));
      assertThat(after.get(p + "mlp.up_proj.weight"))
          .containsExactly(keepRows(before.get(p + "mlp.up_proj.weight"), m.d(), ch));
      assertThat(after.get(p + "mlp.down_proj.weight"))
          .containsExactly(keepCols(before.get(p + "mlp.down_proj.weight"), m.d(), m.ffn(), ch));
      assertThat(after.get(p + "mlp.gate_proj.bias"))
          .containsExactly(keepRows(before.get(p + "mlp.gate_proj.bias"), 1, ch));
      assertThat(after.get(p + "mlp.up_proj.bias"))
          .containsExactly(keepRows(before.get(p + "mlp.up_proj.bias"), 1, ch));
      assertThat(after.get(p + "mlp.down_proj.bias"))
          .containsExactly(before.get(p + "mlp.down_proj.bias"));
      assertThat(after.get(p + "self_attn.q_proj.weight"))
          .containsExactly(keepRows(before.get(p + "self_attn.q_proj.weight"), m.d(), qRows));
      for (String kv : List.of("k_proj", "v_proj")) {
        assertThat(after.get(p + "self_attn." + kv + ".weight"))
            .containsExactly(
                keepRows(before.get(p + "self_attn." + kv + ".weight"), m.d(), kvRows));
        assertThat(after.get(p + "self_attn." + kv + ".bias"))
            .containsExactly(keepRows(before.get(p + "self_attn." + kv + ".bias"), 1, kvRows));
      }
      assertThat(after.get(p + "self_attn.q_proj.bias"))
          .containsExactly(keepRows(before.get(p + "self_attn.q_proj.bias"), 1, qRows));
      assertThat(after.get(p + "self_attn.o_proj.weight"))
          .containsExactly(
              keepCols(
                  before.get(p + "self_attn.o_proj.weight"), m.d(), m.heads() * m.hd(), qRows));
    }
    for (String name : before.keySet()) {
      if (!name.contains("_proj.")) {
        assertThat(after.get(name)).as(name).containsExactly(before.get(name));
      }
    }
    assertThat(after.keySet()).containsExactlyElementsOf(before.keySet());
    try (Checkpoint c = Checkpoint.open(out)) {
      c.tensors().values().forEach(e -> assertThat(e.info().dtype()).isEqualTo(dtype));
      assertThat(c.entry("model.layers.0.self_attn.o_proj.weight").info().shape())
          .containsExactly(m.d(), (long) keepGroups * rep * m.hd());
    }
    JsonNode config = JSON.readTree(out.resolve("config.json").toFile());
    assertThat(config.get("intermediate_size").intValue()).isEqualTo(keepChannels);
    assertThat(config.get("num_attention_heads").intValue()).isEqualTo(keepGroups * rep);
    assertThat(config.get("num_key_value_heads").intValue()).isEqualTo(keepGroups);
    assertThat(config.get("head_dim").intValue()).isEqualTo(m.hd());
    assertThat(config.get("hidden_size").intValue()).isEqualTo(m.d());
    assertThat(config.get("model_type").textValue()).isEqualTo("llama");
    assertThat(out.resolve("tokenizer.json")).exists();
    long paramsBefore = before.values().stream().mapToLong(v -> v.length).sum();
    long paramsAfter = after.values().stream().mapToLong(v -> v.length).sum();
    assertThat(report.get("parameters_before").longValue()).isEqualTo(paramsBefore);
    assertThat(report.get("parameters_after").longValue())
        .isEqualTo(paramsAfter)
        .isLessThan(paramsBefore);
  }

  @Test
  void headDimDefaultsToHiddenOverHeadsAndIsWrittenExplicitly() throws IOException {
    Llama m = new Llama(2, 16, 8, 4, 2, 4, false);
    Path in = write("in", m, DType.F32, 5, false);
    Path out = prune(in, Map.of("heads_ratio", 0.5));
    Map<String, float[]> before = TestCheckpoints.read(in);
    Map<String, float[]> after = TestCheckpoints.read(out);
    JsonNode config = JSON.readTree(out.resolve("config.json").toFile());
    assertThat(config.get("head_dim").intValue()).isEqualTo(4);
    assertThat(config.get("num_attention_heads").intValue()).isEqualTo(2);
    assertThat(config.get("num_key_value_heads").intValue()).isEqualTo(1);
    assertThat(config.get("intermediate_size").intValue()).isEqualTo(8); // mlp_ratio absent = 0
    for (int i = 0; i < m.layers(); i++) {
      int[] groups = refGroups(before, m, i, 1);
      String p = "model.layers." + i + ".";
      assertThat(after.get(p + "self_attn.k_proj.weight"))
          .containsExactly(
              keepRows(before.get(p + "self_attn.k_proj.weight"), m.d(), headRows(groups, m.hd())));
      assertThat(after.get(p + "mlp.down_proj.weight"))
          .containsExactly(before.get(p + "mlp.down_proj.weight"));
    }
    assertThat(
            JSON.readTree(out.resolve(TensorSteps.REPORT).toFile())
                .get("width")
                .get("layers")
                .get(0)
                .has("kept_channels"))
        .isFalse();
  }

  @Test
  void removingEveryGroupStillKeepsOne() throws IOException {
    Path in = write("in", SMALL, DType.F32, 7, true);
    Path out = prune(in, Map.of("heads_ratio", 1.0, "mlp_ratio", 0.25));
    Map<String, float[]> before = TestCheckpoints.read(in);
    JsonNode report = JSON.readTree(out.resolve(TensorSteps.REPORT).toFile()).get("width");
    for (int i = 0; i < SMALL.layers(); i++) {
      assertThat(ints(report.get("layers").get(i).get("kept_kv_groups")))
          .containsExactly(refGroups(before, SMALL, i, 1));
      assertThat(ints(report.get("layers").get(i).get("kept_channels")))
          .containsExactly(refChannels(before, SMALL, i, 18));
    }
    JsonNode config = JSON.readTree(out.resolve("config.json").toFile());
    assertThat(config.get("num_key_value_heads").intValue()).isEqualTo(1);
    assertThat(config.get("num_attention_heads").intValue()).isEqualTo(2);
    assertThat(config.get("intermediate_size").intValue()).isEqualTo(18);
  }

  @Test
  void tiesKeepTheLowerIndex() {
    assertThat(WidthPruner.topK(new double[] {1, 3, 3, 0, 3}, 2)).containsExactly(1, 2);
    assertThat(WidthPruner.topK(new double[] {5, 1, 5}, 1)).containsExactly(0);
  }

  @Test
  void invalidRatiosNameThePath() throws IOException {
    Path in = write("in", SMALL, DType.F32, 1, true);
    Path out = tmp.resolve("out");
    for (Object bad : List.of(1.5, -0.1, "half")) {
      assertThatThrownBy(
              () ->
                  TensorSteps.run(
                      "prune",
                      body(Map.of("mlp_ratio", bad)),
                      Map.of("m", in),
                      out,
                      null,
                      () -> false,
                      s -> {}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("config.mlp_ratio: must be between 0 and 1");
      assertThatThrownBy(
              () ->
                  TensorSteps.run(
                      "prune",
                      body(Map.of("heads_ratio", bad)),
                      Map.of("m", in),
                      out,
                      null,
                      () -> false,
                      s -> {}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("config.heads_ratio: must be between 0 and 1");
    }
    assertThatThrownBy(
            () ->
                TensorSteps.run(
                    "prune",
                    Map.of(
                        "model",
                        "${{ inputs.m }}",
                        "method",
                        "magnitude",
                        "config",
                        Map.of("mlp_ratio", 0.5)),
                    Map.of("m", in),
                    out,
                    null,
                    () -> false,
                    s -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("config.mlp_ratio: only method 'width'");
    assertThat(out).doesNotExist();
  }

  @Test
  void aCheckpointThatIsNotLlamaShapedIsRefusedBeforeAnyOutput() throws IOException {
    Path in = TestCheckpoints.write(tmp.resolve("in"), TestCheckpoints.random(2, 1.0), DType.F32);
    Path out = tmp.resolve("out");
    assertThatThrownBy(
            () ->
                TensorSteps.run(
                    "prune",
                    body(Map.of("mlp_ratio", 0.5)),
                    Map.of("m", in),
                    out,
                    null,
                    () -> false,
                    s -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model: width pruning needs a Llama-shaped checkpoint")
        .hasMessageContaining("config.json has no intermediate_size")
        .hasMessageNotContaining("Exception");
    assertThat(out).doesNotExist();

    // right config, a tensor of the wrong shape
    Path in2 = write("in2", SMALL, DType.F32, 3, true);
    JsonNode cfg = JSON.readTree(in2.resolve("config.json").toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) cfg).put("intermediate_size", 30);
    Files.write(in2.resolve("config.json"), JSON.writeValueAsBytes(cfg));
    assertThatThrownBy(
            () ->
                TensorSteps.run(
                    "prune",
                    body(Map.of("mlp_ratio", 0.5)),
                    Map.of("m", in2),
                    out,
                    null,
                    () -> false,
                    s -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "tensor 'model.layers.0.mlp.gate_proj.weight' has shape [24, 16], expected [30, 16]");
    assertThat(out).doesNotExist();

    // no attention tensors at all
    assertThatThrownBy(
            () ->
                TensorSteps.run(
                    "prune",
                    body(Map.of("heads_ratio", 0.5)),
                    Map.of("m", in),
                    out,
                    null,
                    () -> false,
                    s -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("num_attention_heads");
    assertThat(out).doesNotExist();
  }

  /**
   * The MLP-pruned checkpoint loads in the reference trainer, and its logits equal the original
   * model's with the removed channels' down_proj columns zeroed (exactly what removing them means).
   */
  @Test
  void mlpPrunedCheckpointLoadsInTheReferenceTrainer() throws Exception {
    Path python = Path.of("/usr/bin/python3");
    Path src = Path.of("src/main/python").toAbsolutePath();
    assertTrue(Files.isExecutable(python) && Files.isDirectory(src));
    assertTrue(exec(python, src, "import torch").exit() == 0, "torch not available");
    Path in = tmp.resolve("trainer-in");
    Exec made =
        exec(
            python,
            src,
            """
        import sys, torch
        from trainyard_trainer import checkpoint, model
        torch.manual_seed(0)
        c = model.LlamaConfig(hidden_size=32, intermediate_size=40, num_hidden_layers=2, num_attention_heads=4,
                              num_key_value_heads=2)
        checkpoint.save_model(model.LlamaForCausalLM(c), sys.argv[1], dtype=torch.bfloat16)
        """,
            in.toString());
    assertThat(made.exit()).as(made.output()).isZero();
    Path out = prune(in, Map.of("mlp_ratio", 0.5));
    Exec check =
        exec(
            python,
            src,
            """
        import sys, json, torch
        from trainyard_trainer import checkpoint
        a, _ = checkpoint.load_model(sys.argv[1])
        b, _ = checkpoint.load_model(sys.argv[2])
        report = json.load(open(sys.argv[2] + "/trainyard-report.json"))["width"]
        assert b.config.intermediate_size == 20, b.config
        with torch.no_grad():
            for layer in report["layers"]:
                down = a.model.layers[layer["layer"]].mlp.down_proj.weight
                mask = torch.zeros(down.shape[1], dtype=torch.bool)
                mask[layer["kept_channels"]] = True
                down[:, ~mask] = 0
            x = torch.randint(0, a.config.vocab_size, (2, 9))
            la, lb = a(x), b(x)
            err = (la - lb).abs().max().item()
        print("max abs diff", err)
        assert err < 1e-4, err
        """,
            in.toString(),
            out.toString());
    assertThat(check.exit()).as(check.output()).isZero();
  }

  record Exec(int exit, String output) {}

  private static Exec exec(Path python, Path src, String script, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(python.toString(), "-c", script));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PYTHONPATH", src.toString());
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Exec(-1, "timed out\n" + output);
    }
    return new Exec(p.exitValue(), output);
  }
}
