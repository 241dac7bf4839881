package dev.trainyard.worker.tensor.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trainyard.worker.tensor.TensorSteps;
import dev.trainyard.worker.tensor.TestCheckpoints;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.Floats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every method against an independent, straightforward reference (double accumulation) on random
 * tensors.
 */
class MergeMethodsTest {
  @TempDir Path tmp;

  private Map<String, Path> inputs;
  private Map<String, Map<String, float[]>> values;

  /** base + 3 fine-tunes, stored in {@code dtype}; values as stored. */
  private void setUp(DType dtype) throws IOException {
    inputs = new LinkedHashMap<>();
    values = new LinkedHashMap<>();
    Map<String, float[]> base = TestCheckpoints.random(1, 0.05);
    put("base", base, dtype);
    for (int i = 0; i < 3; i++) {
      Map<String, float[]> ft = TestCheckpoints.fineTune(base, 10 + i, 0.01);
      if (i == 2) {
        ft.put(
            "model.layers.0.input_layernorm.weight",
            base.get("model.layers.0.input_layernorm.weight").clone()); // zero delta
      }
      put("m" + i, ft, dtype);
    }
  }

  private void put(String name, Map<String, float[]> t, DType dtype) throws IOException {
    Path dir = TestCheckpoints.write(tmp.resolve(name), t, dtype);
    inputs.put(name, dir);
    values.put(name, TestCheckpoints.read(dir));
  }

  private static Map<String, Object> body(
      String method, boolean base, List<Map<String, Object>> models, Map<String, Object> config) {
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("method", method);
    if (base) {
      b.put("base", "${{ inputs.base }}");
    }
    b.put("models", models);
    b.put("config", config);
    return b;
  }

  private static Map<String, Object> model(String name, Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", "${{ inputs." + name + " }}");
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private Map<String, float[]> run(Map<String, Object> body) throws IOException {
    Path out = tmp.resolve("out-" + System.nanoTime());
    TensorSteps.run(
        "merge",
        body,
        inputs,
        out,
        out.resolveSibling(out.getFileName() + ".metrics.jsonl"),
        () -> false,
        s -> {});
    return TestCheckpoints.read(out);
  }

  private void assertMatches(Map<String, float[]> actual, Function<String, double[]> reference) {
    for (String name : TestCheckpoints.SHAPES.keySet()) {
      double[] expected = reference.apply(name);
      assertThat(TestCheckpoints.relError(actual.get(name), expected)).as(name).isLessThan(1e-6);
    }
  }

  private float[] v(String model, String tensor) {
    return values.get(model).get(tensor);
  }

  // ---- references ------------------------------------------------------------------------------

  /** Keeps the k largest |x| (ties: the later index ranks higher), as documented for trimming. */
  static double[] topK(double[] x, double density) {
    if (density >= 1) {
      return x.clone();
    }
    int n = x.length;
    int k = (int) (density * n);
    Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
    Arrays.sort(
        order,
        Comparator.<Integer>comparingDouble(i -> Math.abs((float) x[i])).thenComparingInt(i -> i));
    double[] out = new double[n];
    for (int r = n - k; r < n; r++) {
      out[order[r]] = x[order[r]];
    }
    return out;
  }

  private double[] delta(String model, String tensor) {
    float[] x = v(model, tensor);
    float[] b = v("base", tensor);
    double[] d = new double[x.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) (x[i] - b[i]);
    }
    return d;
  }

  private double[] tiesReference(
      String tensor,
      double[] w,
      double[] density,
      boolean normalize,
      List<double[]> trimmedOverride) {
    float[] b = v("base", tensor);
    List<double[]> trimmed = new ArrayList<>();
    for (int i = 0; i < w.length; i++) {
      trimmed.add(
          trimmedOverride != null
              ? trimmedOverride.get(i)
              : topK(delta("m" + i, tensor), density[i]));
    }
    double[] out = new double[b.length];
    for (int j = 0; j < b.length; j++) {
      double sum = 0;
      for (int i = 0; i < w.length; i++) {
        sum += w[i] * trimmed.get(i)[j];
      }
      double sign = sum >= 0 ? 1 : -1;
      double mixed = 0;
      double div = 0;
      for (int i = 0; i < w.length; i++) {
        double wd = w[i] * trimmed.get(i)[j];
        if (wd != 0 && Math.signum(wd) == sign) {
          mixed += wd;
          div += w[i];
        }
      }
      out[j] = b[j] + (normalize ? mixed / (div == 0 ? 1 : div) : mixed);
    }
    return out;
  }

  // ---- tests -----------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"F32", "BF16"})
  void linearIsTheNormalisedWeightedMean(String dtype) throws IOException {
    setUp(DType.valueOf(dtype));
    var out =
        run(
            body(
                "linear",
                false,
                List.of(model("m0", "weight", 0.5), model("m1", "weight", 1.5)),
                Map.of("dtype", "float32")));
    assertMatches(
        out,
        t -> {
          double[] r = new double[v("m0", t).length];
          for (int j = 0; j < r.length; j++) {
            r[j] = (0.5 * v("m0", t)[j] + 1.5 * v("m1", t)[j]) / 2.0;
          }
          return r;
        });
  }

  @Test
  void bf16OutputIsTheFp32ResultRoundedToNearestEven() throws IOException {
    setUp(DType.BF16);
    var models = List.of(model("m0", "weight", 0.3), model("m1", "weight", 0.7));
    var fp32 = run(body("linear", false, models, Map.of("dtype", "float32")));
    var bf16 = run(body("linear", false, models, Map.of()));
    for (String t : fp32.keySet()) {
      float[] a = fp32.get(t);
      float[] b = bf16.get(t);
      for (int j = 0; j < a.length; j++) {
        assertThat(b[j]).isEqualTo(Floats.bf16ToFloat(Floats.floatToBf16(a[j])));
      }
    }
  }

  @Test
  void taskArithmeticAddsLambdaTimesTheWeightedTaskVectors() throws IOException {
    setUp(DType.F32);
    var out =
        run(
            body(
                "task-arithmetic",
                true,
                List.of(model("m0", "weight", 1.0), model("m1", "weight", -0.5)),
                Map.of("lambda", 0.8)));
    assertMatches(
        out,
        t -> {
          double[] d0 = delta("m0", t);
          double[] d1 = delta("m1", t);
          double[] r = new double[d0.length];
          for (int j = 0; j < r.length; j++) {
            r[j] = v("base", t)[j] + 0.8 * (1.0 * d0[j] - 0.5 * d1[j]);
          }
          return r;
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"F32", "BF16"})
  void tiesTrimsElectsAndTakesTheDisjointMean(String dtype) throws IOException {
    setUp(DType.valueOf(dtype));
    var out =
        run(
            body(
                "ties",
                true,
                List.of(
                    model("m0", "weight", 1.0, "density", 0.5),
                    model("m1", "weight", 0.7, "density", 0.3),
                    model("m2", "weight", 1.2, "density", 0.8)),
                Map.of("dtype", "float32")));
    assertMatches(
        out,
        t ->
            tiesReference(
                t, new double[] {1.0, 0.7, 1.2}, new double[] {0.5, 0.3, 0.8}, true, null));
  }

  @Test
  void tiesWithDensityZeroReturnsTheBaseAndDensityOneKeepsEverything() throws IOException {
    setUp(DType.F32);
    var zero =
        run(
            body(
                "ties",
                true,
                List.of(model("m0", "density", 0.0), model("m1", "density", 0.0)),
                Map.of()));
    assertMatches(
        zero,
        t -> IntStream.range(0, v("base", t).length).mapToDouble(j -> v("base", t)[j]).toArray());
    var one =
        run(
            body(
                "ties",
                true,
                List.of(model("m0", "density", 1.0), model("m1", "density", 1.0)),
                Map.of()));
    assertMatches(one, t -> tiesReference(t, new double[] {1, 1}, new double[] {1, 1}, true, null));
  }

  @Test
  void tiesSignElectionTieGoesPositiveAndZeroDeltasNeverVote() throws IOException {
    inputs = new LinkedHashMap<>();
    values = new LinkedHashMap<>();
    // one tensor of 4 elements: equal and opposite deltas (sum exactly 0 → positive wins), zero
    // deltas
    TestCheckpoints.SHAPES_OVERRIDE.set(Map.of("w", new long[] {4}));
    try {
      put("base", Map.of("w", new float[] {1, 1, 1, 1}), DType.F32);
      put("m0", Map.of("w", new float[] {2, 1, 1.5f, 0}), DType.F32);
      put("m1", Map.of("w", new float[] {0, 1, 0.5f, 0}), DType.F32);
      var out = run(body("ties", true, List.of(model("m0"), model("m1")), Map.of()));
      // element 0: +1 vs -1 → sum 0 → majority +1, only m0 agrees → 1 + 1 = 2
      // element 1: both zero → base; element 2: +0.5 vs −0.5 → +, mean of agreeing (0.5) → 1.5
      // element 3: −1 and −1 → −1 → 0
      assertThat(out.get("w")).containsExactly(2f, 1f, 1.5f, 0f);
    } finally {
      TestCheckpoints.SHAPES_OVERRIDE.remove();
    }
  }

  @Test
  void dareDropsWithTheSeededMaskAndRescales() throws IOException {
    setUp(DType.F32);
    double[] w = {1.0, 0.5};
    double[] density = {0.4, 0.7};
    for (String variant : List.of("linear", "ties")) {
      var out =
          run(
              body(
                  "dare",
                  true,
                  List.of(
                      model("m0", "weight", w[0], "density", density[0]),
                      model("m1", "weight", w[1], "density", density[1])),
                  Map.of("seed", 42, "variant", variant)));
      assertMatches(
          out,
          t -> {
            List<double[]> dropped = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
              double[] d = delta("m" + i, t);
              DropMask mask = new DropMask(42, i, t, density[i]);
              for (int j = 0; j < d.length; j++) {
                d[j] = mask.keep(j) ? d[j] / density[i] : 0;
              }
              dropped.add(d);
            }
            if (variant.equals("ties")) {
              return tiesReference(t, w, null, false, dropped);
            }
            double[] r = new double[dropped.get(0).length];
            for (int j = 0; j < r.length; j++) {
              r[j] = v("base", t)[j] + w[0] * dropped.get(0)[j] + w[1] * dropped.get(1)[j];
            }
            return r;
          });
    }
    // the keep rate is the density
    DropMask mask = new DropMask(7, 0, "x", 0.3);
    long kept = IntStream.range(0, 200_000).filter(mask::keep).count();
    assertThat(kept / 200_000.0).isBetween(0.295, 0.305);
  }

  @Test
  void breadcrumbsDropsTheLargestGammaAndTheSmallest() throws IOException {
    setUp(DType.F32);
    var out =
        run(
            body(
                "breadcrumbs",
                true,
                List.of(
                    model("m0", "density", 0.6, "gamma", 0.1),
                    model("m1", "density", 0.5, "gamma", 0.05)),
                Map.of()));
    double[] density = {0.6, 0.5};
    double[] gamma = {0.1, 0.05};
    assertMatches(
        out,
        t -> {
          double[] r =
              IntStream.range(0, v("base", t).length).mapToDouble(j -> v("base", t)[j]).toArray();
          for (int i = 0; i < 2; i++) {
            double[] d = delta("m" + i, t);
            int n = d.length;
            int target = (int) (density[i] * n);
            int top = (int) (gamma[i] * n);
            int bottom = n - target - top;
            if (bottom < 0) {
              top = n - target;
              bottom = 0;
            }
            Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
            Arrays.sort(
                order,
                Comparator.<Integer>comparingDouble(j -> Math.abs((float) d[j]))
                    .thenComparingInt(j -> j));
            for (int rank = bottom; rank < n - top; rank++) {
              r[order[rank]] += d[order[rank]];
            }
          }
          return r;
        });
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.0, 0.3, 1.0})
  void slerpInterpolatesOnTheSphere(double t) throws IOException {
    setUp(DType.F32);
    var out = run(body("slerp", true, List.of(model("m0")), Map.of("t", t)));
    assertMatches(out, name -> slerpReference(t, v("base", name), v("m0", name)));
  }

  @Test
  void slerpTakesTPerTensorPatternAndFallsBackToLerpForColinearTensors() throws IOException {
    setUp(DType.F32);
    Map<String, float[]> scaled = new LinkedHashMap<>();
    values
        .get("base")
        .forEach(
            (k, x) -> {
              float[] c = x.clone();
              for (int j = 0; j < c.length; j++) {
                c[j] *= 2;
              }
              scaled.put(k, c);
            });
    put("m9", scaled, DType.F32);
    var out =
        run(
            body(
                "slerp",
                true,
                List.of(model("m9")),
                Map.of(
                    "t",
                    List.of(Map.of("filter", "self_attn", "value", 0.25), Map.of("value", 0.75)))));
    assertMatches(
        out,
        name -> {
          double t = name.contains("self_attn") ? 0.25 : 0.75;
          double[] r = new double[v("base", name).length];
          for (int j = 0; j < r.length; j++) {
            r[j] = (1 - t) * v("base", name)[j] + t * v("m9", name)[j];
          }
          return r;
        });
  }

  static double[] slerpReference(double t, float[] a, float[] b) {
    double na = 0, nb = 0, dot = 0;
    for (int j = 0; j < a.length; j++) {
      na += (double) a[j] * a[j];
      nb += (double) b[j] * b[j];
      dot += (double) a[j] * b[j];
    }
    double cos = dot / (Math.sqrt(na) * Math.sqrt(nb));
    double s0;
    double s1;
    if (Math.abs(cos) > 0.9995) {
      s0 = 1 - t;
      s1 = t;
    } else {
      double theta = Math.acos(cos);
      s0 = Math.sin((1 - t) * theta) / Math.sin(theta);
      s1 = Math.sin(t * theta) / Math.sin(theta);
    }
    double[] r = new double[a.length];
    for (int j = 0; j < r.length; j++) {
      r[j] = s0 * a[j] + s1 * b[j];
    }
    return r;
  }

  @Test
  void modelStockUsesTheMeanCosineBetweenTaskVectors() throws IOException {
    setUp(DType.F32);
    var out =
        run(body("model-stock", true, List.of(model("m0"), model("m1"), model("m2")), Map.of()));
    assertMatches(
        out,
        name -> {
          int m = 3;
          List<double[]> d = List.of(delta("m0", name), delta("m1", name), delta("m2", name));
          double cosSum = 0;
          int pairs = 0;
          for (int a = 0; a < m; a++) {
            for (int b = a + 1; b < m; b++) {
              double dot = 0, na = 0, nb = 0;
              for (int j = 0; j < d.get(a).length; j++) {
                dot += d.get(a)[j] * d.get(b)[j];
                na += d.get(a)[j] * d.get(a)[j];
                nb += d.get(b)[j] * d.get(b)[j];
              }
              cosSum +=
                  Math.max(-1, Math.min(1, dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), 1e-6)));
              pairs++;
            }
          }
          double cos = cosSum / pairs;
          double t = m * cos / (1 + (m - 1) * cos);
          float[] base = v("base", name);
          double[] r = new double[base.length];
          for (int j = 0; j < r.length; j++) {
            double avg = (v("m0", name)[j] + v("m1", name)[j] + (double) v("m2", name)[j]) / 3;
            r[j] = t * avg + (1 - t) * base[j];
          }
          return r;
        });
  }

  @Test
  void mismatchedShapesAreRefusedBeforeAnyWorkAndNothingIsWritten() throws IOException {
    setUp(DType.F32);
    Map<String, float[]> other = TestCheckpoints.random(5, 0.1);
    other.remove("lm_head.weight");
    put("odd", other, DType.F32);
    Path out = tmp.resolve("refused");
    assertThatThrownBy(
            () ->
                TensorSteps.run(
                    "merge",
                    body("ties", true, List.of(model("m0"), model("odd")), Map.of()),
                    inputs,
                    out,
                    null,
                    () -> false,
                    s -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(inputs.get("odd") + ": missing tensor 'lm_head.weight'");
    assertThat(out).doesNotExist();
  }

  @Test
  void invalidBodiesListEveryProblem() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("method", "slerp");
    body.put("models", List.of(model("m0", "density", 2.0), model("nope")));
    body.put("config", Map.of("bogus", 1));
    assertThatThrownBy(
            () ->
                TensorSteps.run(
                    "merge", body, Map.of("m0", tmp), tmp.resolve("o"), null, () -> false, s -> {}))
        .hasMessageContaining("config.bogus: unknown key")
        .hasMessageContaining("models[0].density: must be between 0.0 and 1.0, got 2.0")
        .hasMessageContaining("models[1].model: refers to ${{ inputs.nope }}")
        .hasMessageContaining("config.t: slerp needs the interpolation factor t");
  }

  @Test
  void cancellationStopsBetweenTensorsAndLeavesNoOutput() throws IOException {
    setUp(DType.F32);
    Path out = tmp.resolve("cancelled");
    int[] calls = {0};
    assertThatThrownBy(
            () ->
                TensorSteps.run(
                    "merge",
                    body("linear", false, List.of(model("m0"), model("m1")), Map.of()),
                    inputs,
                    out,
                    null,
                    () -> ++calls[0] > 2,
                    s -> {}))
        .isInstanceOf(CancellationException.class);
    try (var s = Files.list(out)) {
      assertThat(s).isEmpty();
    }
  }

  @Test
  void outputIsAHuggingFaceCheckpointWithConfigTokenizerAndReport() throws IOException {
    setUp(DType.BF16);
    Path out = tmp.resolve("hf");
    var result =
        TensorSteps.run(
            "merge",
            body(
                "ties",
                true,
                List.of(model("m0", "weight", 1.0, "density", 0.5)),
                Map.of("max_shard_bytes", 2000)),
            inputs,
            out,
            tmp.resolve("metrics.jsonl"),
            () -> false,
            s -> {});
    assertThat(out.resolve("config.json")).exists();
    assertThat(out.resolve("tokenizer.json")).exists();
    assertThat(out.resolve("model.safetensors.index.json")).exists();
    assertThat(out.resolve(TensorSteps.REPORT))
        .content()
        .contains("\"role\" : \"base\"", "\"sparsity\"");
    assertThat(result.inputs())
        .extracting(TensorSteps.InputRole::role)
        .containsExactly("base", "model");
    assertThat(result.files()).containsKeys("config.json", TensorSteps.REPORT, "tokenizer.json");
    assertThat(Files.readString(tmp.resolve("metrics.jsonl"))).contains("\"tensors\":5.0");
  }
}
