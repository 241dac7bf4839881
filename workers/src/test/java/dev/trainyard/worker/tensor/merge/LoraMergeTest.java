package dev.trainyard.worker.tensor.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trainyard.worker.tensor.TensorSteps;
import dev.trainyard.worker.tensor.TestCheckpoints;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.SafetensorsWriter;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Merge method lora against an independent computation in double: W + Σ weight·(alpha/r)·B·A per
 * adapted module, every other tensor unchanged; adapters written here in PEFT's layout.
 */
class LoraMergeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String Q = "model.layers.0.self_attn.q_proj";
  private static final String UP = "model.layers.0.mlp.up_proj";

  @TempDir Path tmp;

  private final Map<String, Path> inputs = new LinkedHashMap<>();
  private Map<String, float[]> base;

  /** A and B of one module, as the adapter file stores them. */
  private record Lora(float[] a, float[] b, int out, int in) {}

  private void base(DType dtype) throws IOException {
    Path dir = TestCheckpoints.write(tmp.resolve("base"), TestCheckpoints.random(1, 0.05), dtype);
    inputs.put("base", dir);
    base = TestCheckpoints.read(dir); // as stored: bf16-rounded for a bf16 base
  }

  private static Lora random(long seed, int out, int in, int r) {
    Random rnd = new Random(seed);
    float[] a = new float[r * in];
    float[] b = new float[out * r];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (rnd.nextGaussian() * 0.1);
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) (rnd.nextGaussian() * 0.1);
    }
    return new Lora(a, b, out, in);
  }

  /** An adapter dir in PEFT's layout; {@code extra} overrides keys of adapter_config.json. */
  private Path adapter(
      String name, int r, double alpha, Map<String, Lora> modules, Map<String, Object> extra)
      throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(name));
    ObjectNode config = JSON.createObjectNode();
    config.put("peft_type", "LORA");
    config.put("task_type", "CAUSAL_LM");
    config.put("r", r);
    config.put("lora_alpha", alpha);
    config.put("lora_dropout", 0.0);
    config.putArray("target_modules").add("q_proj").add("up_proj");
    config.put("bias", "none");
    config.put("fan_in_fan_out", false);
    config.put("inference_mode", true);
    config.put("init_lora_weights", true);
    config.putNull("modules_to_save");
    config.put("base_model_name_or_path", "base");
    extra.forEach((k, v) -> config.set(k, JSON.valueToTree(v)));
    Files.writeString(dir.resolve("adapter_config.json"), config.toString());
    List<TensorSpec> plan = new ArrayList<>();
    modules.forEach(
        (module, l) -> {
          plan.add(
              new TensorSpec(
                  "base_model.model." + module + ".lora_A.weight",
                  DType.F32,
                  new long[] {l.a().length / l.in(), l.in()}));
          plan.add(
              new TensorSpec(
                  "base_model.model." + module + ".lora_B.weight",
                  DType.F32,
                  new long[] {l.out(), l.b().length / l.out()}));
        });
    try (SafetensorsWriter w =
        new SafetensorsWriter(dir.resolve("adapter_model.safetensors"), plan, Map.of())) {
      for (var e : modules.entrySet()) {
        w.writeFloats("base_model.model." + e.getKey() + ".lora_A.weight", e.getValue().a());
        w.writeFloats("base_model.model." + e.getKey() + ".lora_B.weight", e.getValue().b());
      }
      w.finish();
    }
    inputs.put(name, dir);
    return dir;
  }

  /** W + Σ coefᵢ · Bᵢ·Aᵢ in double, straight from the definition. */
  private static double[] expected(float[] w, List<Lora> loras, List<Double> coefs) {
    double[] out = new double[w.length];
    for (int i = 0; i < w.length; i++) {
      out[i] = w[i];
    }
    for (int n = 0; n < loras.size(); n++) {
      Lora l = loras.get(n);
      int r = l.a().length / l.in();
      for (int o = 0; o < l.out(); o++) {
        for (int j = 0; j < l.in(); j++) {
          double sum = 0;
          for (int k = 0; k < r; k++) {
            sum += (double) l.b()[o * r + k] * l.a()[k * l.in() + j];
          }
          out[o * l.in() + j] += coefs.get(n) * sum;
        }
      }
    }
    return out;
  }

  private static Map<String, Object> model(String name, Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", "${{ inputs." + name + " }}");
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private static Map<String, Object> body(String method, List<Map<String, Object>> models) {
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("method", method);
    b.put("base", "${{ inputs.base }}");
    b.put("models", models);
    return b;
  }

  private TensorSteps.Result run(Map<String, Object> body, Path out) throws IOException {
    return TensorSteps.run("merge", body, inputs, out, null, () -> false, s -> {});
  }

  private static ByteBuffer raw(Path dir, String tensor) throws IOException {
    try (Checkpoint c = Checkpoint.open(dir)) {
      Checkpoint.Entry e = c.entry(tensor);
      ByteBuffer mapped = e.file().mapRaw(e.info(), 0, e.info().byteSize());
      return ByteBuffer.allocate(mapped.remaining()).put(mapped).flip();
    }
  }

  @Test
  void oneAdapterFoldsWPlusAlphaOverRTimesBATheOtherTensorsAreCopiedAsTheyAre() throws IOException {
    base(DType.F32);
    Lora q = random(2, 16, 16, 4);
    Lora up = random(3, 64, 16, 4);
    adapter("tuned", 4, 8, Map.of(Q, q, UP, up), Map.of());
    Path out = tmp.resolve("out");
    TensorSteps.Result result = run(body("lora", List.of(model("tuned"))), out);
    Map<String, float[]> merged = TestCheckpoints.read(out);
    assertThat(merged.keySet()).containsExactlyElementsOf(base.keySet());
    assertThat(
            TestCheckpoints.relError(
                merged.get(Q + ".weight"),
                expected(base.get(Q + ".weight"), List.of(q), List.of(2.0))))
        .isLessThan(1e-6);
    assertThat(
            TestCheckpoints.relError(
                merged.get(UP + ".weight"),
                expected(base.get(UP + ".weight"), List.of(up), List.of(2.0))))
        .isLessThan(1e-6);
    // The update is real: far from the base at this scale.
    assertThat(
            TestCheckpoints.relError(
                merged.get(Q + ".weight"), expected(base.get(Q + ".weight"), List.of(), List.of())))
        .isGreaterThan(0.1);
    for (String untouched :
        List.of(
            "model.embed_tokens.weight",
            "model.layers.0.input_layernorm.weight",
            "lm_head.weight")) {
      assertThat(raw(out, untouched)).as(untouched).isEqualTo(raw(inputs.get("base"), untouched));
    }
    assertThat(JSON.readTree(out.resolve("config.json").toFile()))
        .isEqualTo(JSON.readTree(inputs.get("base").resolve("config.json").toFile()));
    assertThat(out.resolve("tokenizer.json")).exists();
    assertThat(result.inputs())
        .extracting(TensorSteps.InputRole::role)
        .containsExactly("base", "adapter");
    assertThat(result.inputs().get(1).params()).containsEntry("r", 4).containsEntry("modules", 2);
  }

  @Test
  void twoAdaptersAddTheirWeightedUpdates() throws IOException {
    base(DType.F32);
    Lora q1 = random(4, 16, 16, 8);
    Lora q2 = random(5, 16, 16, 2);
    Lora up2 = random(6, 64, 16, 2);
    adapter("first", 8, 16, Map.of(Q, q1), Map.of());
    adapter("second", 2, 1, Map.of(Q, q2, UP, up2), Map.of());
    Path out = tmp.resolve("out");
    run(body("lora", List.of(model("first", "weight", 0.5), model("second", "weight", -1.5))), out);
    Map<String, float[]> merged = TestCheckpoints.read(out);
    // first: 0.5·16/8 = 1; second: −1.5·1/2 = −0.75
    assertThat(
            TestCheckpoints.relError(
                merged.get(Q + ".weight"),
                expected(base.get(Q + ".weight"), List.of(q1, q2), List.of(1.0, -0.75))))
        .isLessThan(1e-6);
    assertThat(
            TestCheckpoints.relError(
                merged.get(UP + ".weight"),
                expected(base.get(UP + ".weight"), List.of(up2), List.of(-0.75))))
        .isLessThan(1e-6);
  }

  @Test
  void aBf16BaseStaysBf16UnlessConfigDtypeAsksForFloat32() throws IOException {
    base(DType.BF16);
    Lora q = random(7, 16, 16, 4);
    adapter("tuned", 4, 4, Map.of(Q, q), Map.of());
    double[] want = expected(base.get(Q + ".weight"), List.of(q), List.of(1.0));

    Path bf16 = tmp.resolve("bf16");
    run(body("lora", List.of(model("tuned"))), bf16);
    try (Checkpoint c = Checkpoint.open(bf16)) {
      assertThat(c.entry(Q + ".weight").info().dtype()).isEqualTo(DType.BF16);
      assertThat(c.entry("lm_head.weight").info().dtype()).isEqualTo(DType.BF16);
    }
    // One bf16 rounding of the fp32 result: within bf16's precision (2^-8 relative).
    assertThat(TestCheckpoints.relError(TestCheckpoints.read(bf16).get(Q + ".weight"), want))
        .isLessThan(0x1p-8);

    Path fp32 = tmp.resolve("fp32");
    Map<String, Object> body = body("lora", List.of(model("tuned")));
    body.put("config", Map.of("dtype", "float32"));
    run(body, fp32);
    Map<String, float[]> merged = TestCheckpoints.read(fp32);
    try (Checkpoint c = Checkpoint.open(fp32)) {
      assertThat(c.tensors().values())
          .allSatisfy(e -> assertThat(e.info().dtype()).isEqualTo(DType.F32));
      assertThat(c.config().orElseThrow().get("torch_dtype").asText()).isEqualTo("float32");
    }
    assertThat(TestCheckpoints.relError(merged.get(Q + ".weight"), want)).isLessThan(1e-6);
    assertThat(merged.get("lm_head.weight")).isEqualTo(base.get("lm_head.weight"));
  }

  @Test
  void rsLoraAndDoraAreRefusedNamingTheAdapter() throws IOException {
    base(DType.F32);
    Path rs = adapter("rs", 4, 8, Map.of(Q, random(8, 16, 16, 4)), Map.of("use_rslora", true));
    Path dora = adapter("dora", 4, 8, Map.of(Q, random(9, 16, 16, 4)), Map.of("use_dora", true));
    Path out = tmp.resolve("refused");
    assertThatThrownBy(() -> run(body("lora", List.of(model("rs"), model("dora"))), out))
        .isInstanceOf(MergeRequest.InvalidMergeException.class)
        .satisfies(
            e ->
                assertThat(((MergeRequest.InvalidMergeException) e).errors())
                    .containsExactly(
                        "models[0].model ("
                            + rs
                            + "): use_rslora (scale alpha/√r) is not supported; train without rsLoRA",
                        "models[1].model ("
                            + dora
                            + "): use_dora (weight-decomposed LoRA) is not supported"));
    assertThat(out).doesNotExist();
  }

  @Test
  void aLoraKeyForAModuleTheBaseLacksAndAShapeMismatchAreRefusedNamingAdapterAndTensor()
      throws IOException {
    base(DType.F32);
    Path stray =
        adapter(
            "stray",
            4,
            8,
            Map.of("model.layers.0.self_attn.x_proj", random(10, 16, 16, 4)),
            Map.of());
    Path wide = adapter("wide", 4, 8, Map.of(UP, random(11, 64, 32, 4)), Map.of());
    Path out = tmp.resolve("refused");
    assertThatThrownBy(() -> run(body("lora", List.of(model("stray"), model("wide"))), out))
        .isInstanceOf(MergeRequest.InvalidMergeException.class)
        .satisfies(
            e ->
                assertThat(((MergeRequest.InvalidMergeException) e).errors())
                    .containsExactly(
                        "models[0].model ("
                            + stray
                            + "): tensor 'base_model.model.model.layers.0.self_attn.x_proj.lora_A.weight' "
                            + "matches no base tensor (the base has no 'model.layers.0.self_attn.x_proj.weight')",
                        "models[1].model ("
                            + wide
                            + "): tensors 'base_model.model.model.layers.0.mlp.up_proj.lora_A.weight' [4, 32] "
                            + "and 'base_model.model.model.layers.0.mlp.up_proj.lora_B.weight' [64, 4] do not fit "
                            + "base 'model.layers.0.mlp.up_proj.weight' [64, 16] with r=4 (expected A [r, in] and B [out, r])"));
    assertThat(out).doesNotExist();
  }

  @Test
  void aRankThatDisagreesWithItsConfigIsRefused() throws IOException {
    base(DType.F32);
    Path odd = adapter("odd", 8, 8, Map.of(Q, random(12, 16, 16, 4)), Map.of());
    assertThatThrownBy(() -> run(body("lora", List.of(model("odd"))), tmp.resolve("o")))
        .hasMessageContaining("models[0].model (" + odd + "): tensors")
        .hasMessageContaining("with r=8");
  }

  @Test
  void aCheckpointGivenToLoraAndAnAdapterGivenToAnotherMethodAreRefused() throws IOException {
    base(DType.F32);
    Path tuned = adapter("tuned", 4, 8, Map.of(Q, random(13, 16, 16, 4)), Map.of());
    Path other =
        TestCheckpoints.write(tmp.resolve("other"), TestCheckpoints.random(2, 0.05), DType.F32);
    inputs.put("other", other);
    assertThatThrownBy(() -> run(body("lora", List.of(model("other"))), tmp.resolve("a")))
        .hasMessage(
            "models[0].model ("
                + other
                + "): not a LoRA adapter (no adapter_config.json; it is a checkpoint, which method lora cannot fold in)");
    assertThatThrownBy(
            () ->
                run(
                    body("task-arithmetic", List.of(model("other"), model("tuned"))),
                    tmp.resolve("b")))
        .hasMessage(
            "models[1].model: "
                + tuned
                + " is a LoRA adapter; task-arithmetic merges checkpoints (fold an adapter into its base with method lora)");
    assertThat(tmp.resolve("a")).doesNotExist();
    assertThat(tmp.resolve("b")).doesNotExist();
  }

  @Test
  void theUpdateLoopMatchesTheDefinitionOnALargerMatrix() {
    // Large enough to be split across threads; rows of 1000 columns (not a multiple of a vector).
    int out = 300;
    int in = 1000;
    int r = 16;
    Lora l = random(14, out, in, r);
    float[] w = new float[out * in];
    Random rnd = new Random(15);
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rnd.nextGaussian();
    }
    double[] want = expected(w, List.of(l), List.of(0.25));
    LoraMerge.addUpdate(w, l.a(), l.b(), out, in, r, 0.25f);
    assertThat(TestCheckpoints.relError(w, want)).isLessThan(1e-6);
  }
}
