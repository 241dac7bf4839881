package dev.trainyard.worker.tensor.moe;

import static dev.trainyard.worker.tensor.moe.MoeCheckpoints.FFN;
import static dev.trainyard.worker.tensor.moe.MoeCheckpoints.HIDDEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.worker.tensor.InvalidCheckpointException;
import dev.trainyard.worker.tensor.TensorSteps;
import dev.trainyard.worker.tensor.TestCheckpoints;
import dev.trainyard.worker.tensor.merge.MergeRequest.InvalidMergeException;
import dev.trainyard.worker.tensor.safetensors.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code merge} method {@code moe-experts} on tiny 1- and 2-layer Mixtrals. */
class ExpertMergeTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Dominant (k = 2): 0 and 2. */
  private static final double[] FREQUENCY = {0.4, 0.1, 0.3, 0.2};

  /** Expert 1 scores like 2, expert 3 like 0 (router-logit similarity). */
  private static final double[][] SIMILARITY = {
    {1, 0.1, 0.2, 0.9}, {0.1, 1, 0.8, 0.3}, {0.2, 0.8, 1, 0.1}, {0.9, 0.3, 0.1, 1}
  };

  @TempDir Path tmp;

  private Path write(String name, Map<String, float[]> tensors, int layers, int experts)
      throws Exception {
    return MoeCheckpoints.write(
        tmp.resolve(name), tensors, MoeCheckpoints.config(layers, experts, 2), DType.F32);
  }

  private Path profile(Path model, int layers, double[] frequency, double[][] similarity)
      throws Exception {
    double[][] f = new double[layers][];
    double[][][] s = new double[layers][][];
    for (int i = 0; i < layers; i++) {
      f[i] = frequency;
      s[i] = similarity;
    }
    return MoeCheckpoints.profile(
        tmp.resolve(model.getFileName() + "-profile"),
        MoeCheckpoints.fingerprint(TestCheckpoints.read(model), layers),
        frequency.length,
        f,
        null,
        s);
  }

  private static TensorSteps.Result merge(
      Path model, Path profile, Path out, Map<String, Object> config) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("method", "moe-experts");
    body.put("models", List.of(Map.of("model", "${{ inputs.moe }}")));
    body.put("profile", "${{ inputs.profile }}");
    body.put("config", config);
    return TensorSteps.run(
        "merge", body, Map.of("moe", model, "profile", profile), out, null, () -> false, l -> {});
  }

  private static JsonNode json(Path file) throws Exception {
    return JSON.readTree(file.toFile());
  }

  @Test
  void keepingEveryExpertAsDominantIsTheIdentityByteForByte() throws Exception {
    Path model = write("moe", MoeCheckpoints.mixtral(2, 4, 1), 2, 4);
    Path out = tmp.resolve("out");
    merge(model, profile(model, 2, FREQUENCY, SIMILARITY), out, Map.of("experts", 4));
    assertThat(Files.readAllBytes(out.resolve("model.safetensors")))
        .isEqualTo(Files.readAllBytes(model.resolve("model.safetensors")));
    assertThat(json(out.resolve("config.json")).get("num_local_experts").asInt()).isEqualTo(4);
  }

  @Test
  void aFrequencyWeightedMergeEqualsTheHandComputation() throws Exception {
    Map<String, float[]> t = MoeCheckpoints.mixtral(1, 4, 2);
    Path model = write("moe", t, 1, 4);
    Path out = tmp.resolve("out");
    merge(model, profile(model, 1, FREQUENCY, SIMILARITY), out, Map.of("experts", 2));
    Map<String, float[]> merged = TestCheckpoints.read(out);
    for (String w : List.of("w1", "w2", "w3")) {
      float[] e0 = t.get(MixtralLayout.expert(0, 0, w));
      float[] e1 = t.get(MixtralLayout.expert(0, 1, w));
      float[] e2 = t.get(MixtralLayout.expert(0, 2, w));
      float[] e3 = t.get(MixtralLayout.expert(0, 3, w));
      float[] first = merged.get(MixtralLayout.expert(0, 0, w));
      float[] second = merged.get(MixtralLayout.expert(0, 1, w));
      for (int i = 0; i < e0.length; i++) {
        // group {0, 3}: frequencies 0.4 and 0.2; group {2, 1}: 0.3 and 0.1
        assertThat(first[i]).isCloseTo((0.4f * e0[i] + 0.2f * e3[i]) / 0.6f, within(1e-6f));
        assertThat(second[i]).isCloseTo((0.3f * e2[i] + 0.1f * e1[i]) / 0.4f, within(1e-6f));
      }
    }
    assertThat(merged).doesNotContainKey(MixtralLayout.expert(0, 2, "w1"));
    float[] router = t.get(MixtralLayout.gate(0));
    float[] kept = merged.get(MixtralLayout.gate(0));
    assertThat(kept.length).isEqualTo(2 * HIDDEN);
    for (int h = 0; h < HIDDEN; h++) {
      assertThat(kept[h]).isEqualTo(router[h]);
      assertThat(kept[HIDDEN + h]).isEqualTo(router[2 * HIDDEN + h]);
    }
    JsonNode config = json(out.resolve("config.json"));
    assertThat(config.get("num_local_experts").asInt()).isEqualTo(2);
    assertThat(config.get("num_experts_per_tok").asInt()).isEqualTo(2);
    JsonNode layer = json(out.resolve(TensorSteps.REPORT)).at("/experts/layers/0");
    assertThat(layer.get("dominant").toString()).isEqualTo("[0,2]");
    assertThat(layer.at("/groups/0/members").toString()).isEqualTo("[0,3]");
    assertThat(layer.at("/groups/1/members").toString()).isEqualTo("[2,1]");
    assertThat(layer.at("/groups/0/weights/0").asDouble()).isCloseTo(2.0 / 3, within(1e-12));

    Path uniform = tmp.resolve("uniform");
    merge(
        model,
        profile(model, 1, FREQUENCY, SIMILARITY),
        uniform,
        Map.of("experts", 2, "weighting", "uniform"));
    float[] u = TestCheckpoints.read(uniform).get(MixtralLayout.expert(0, 0, "w2"));
    float[] e0 = t.get(MixtralLayout.expert(0, 0, "w2"));
    float[] e3 = t.get(MixtralLayout.expert(0, 3, "w2"));
    for (int i = 0; i < u.length; i++) {
      assertThat(u[i]).isCloseTo((e0[i] + e3[i]) / 2, within(1e-6f));
    }
  }

  @Test
  void mergingIdenticalExpertsLeavesEveryExpertAsItWas() throws Exception {
    Map<String, float[]> t = MoeCheckpoints.mixtral(2, 4, 3);
    for (int i = 0; i < 2; i++) {
      for (int j = 1; j < 4; j++) {
        for (String w : List.of("w1", "w2", "w3")) {
          t.put(MixtralLayout.expert(i, j, w), t.get(MixtralLayout.expert(i, 0, w)).clone());
        }
      }
    }
    Path model = write("same", t, 2, 4);
    for (boolean align : List.of(false, true)) {
      Path out = tmp.resolve("out-" + align);
      merge(
          model,
          profile(model, 2, FREQUENCY, SIMILARITY),
          out,
          Map.of("experts", 2, "align", align));
      Map<String, float[]> merged = TestCheckpoints.read(out);
      for (int i = 0; i < 2; i++) {
        for (int n = 0; n < 2; n++) {
          for (String w : List.of("w1", "w2", "w3")) {
            assertThat(merged.get(MixtralLayout.expert(i, n, w)))
                .as("align %s layer %d expert %d %s", align, i, n, w)
                .containsExactly(t.get(MixtralLayout.expert(i, 0, w)), within(1e-6f));
          }
        }
      }
    }
  }

  @Test
  void alignmentUndoesAPermutationOfHiddenUnitsBeforeAveraging() throws Exception {
    Map<String, float[]> t = MoeCheckpoints.mixtral(1, 2, 4);
    int[] perm = {3, 0, 5, 1, 4, 2}; // unit r of expert 1 is unit perm[r] of expert 0
    float[] w1 = t.get(MixtralLayout.expert(0, 0, "w1"));
    float[] w3 = t.get(MixtralLayout.expert(0, 0, "w3"));
    float[] w2 = t.get(MixtralLayout.expert(0, 0, "w2"));
    t.put(MixtralLayout.expert(0, 1, "w1"), Alignment.permute(w1, FFN, HIDDEN, perm, false));
    t.put(MixtralLayout.expert(0, 1, "w3"), Alignment.permute(w3, FFN, HIDDEN, perm, false));
    t.put(MixtralLayout.expert(0, 1, "w2"), Alignment.permute(w2, HIDDEN, FFN, perm, true));
    Path model = write("perm", t, 1, 2);
    Path profile = profile(model, 1, new double[] {0.6, 0.4}, new double[][] {{1, 0}, {0, 1}});

    merge(model, profile, tmp.resolve("aligned"), Map.of("experts", 1, "align", true));
    merge(model, profile, tmp.resolve("plain"), Map.of("experts", 1));
    Map<String, float[]> aligned = TestCheckpoints.read(tmp.resolve("aligned"));
    Map<String, float[]> plain = TestCheckpoints.read(tmp.resolve("plain"));
    assertThat(aligned.get(MixtralLayout.expert(0, 0, "w1"))).containsExactly(w1, within(1e-6f));
    assertThat(aligned.get(MixtralLayout.expert(0, 0, "w3"))).containsExactly(w3, within(1e-6f));
    assertThat(aligned.get(MixtralLayout.expert(0, 0, "w2"))).containsExactly(w2, within(1e-6f));
    assertThat(TestCheckpoints.relError(plain.get(MixtralLayout.expert(0, 0, "w1")), toDouble(w1)))
        .isGreaterThan(0.1);
    assertThat(
            json(tmp.resolve("aligned").resolve("config.json")).get("num_experts_per_tok").asInt())
        .isEqualTo(1);
  }

  @Test
  void groupingByWeightsJoinsAnExpertToTheDominantOneItResembles() throws Exception {
    Map<String, float[]> t = MoeCheckpoints.mixtral(1, 4, 5);
    Random rnd = new Random(9);
    for (String w : List.of("w1", "w2", "w3")) {
      float[] near = t.get(MixtralLayout.expert(0, 2, w)).clone();
      for (int i = 0; i < near.length; i++) {
        near[i] += (float) (rnd.nextGaussian() * 0.01);
      }
      t.put(
          MixtralLayout.expert(0, 3, w), near); // 3 resembles 2, though the router pairs it with 0
    }
    Path model = write("moe", t, 1, 4);
    Path out = tmp.resolve("out");
    merge(
        model,
        profile(model, 1, FREQUENCY, SIMILARITY),
        out,
        Map.of("experts", 2, "group_by", "weights"));
    JsonNode layer = json(out.resolve(TensorSteps.REPORT)).at("/experts/layers/0");
    assertThat(layer.at("/groups/1/members").toString()).contains("3");
    assertThat(layer.at("/groups/0/members").toString()).doesNotContain("3");
  }

  @Test
  void rankCompressionWritesFullMatricesOfTheRequestedRankClosestToTheMerge() throws Exception {
    Map<String, float[]> t = MoeCheckpoints.mixtral(1, 4, 6);
    Path model = write("moe", t, 1, 4);
    Path profile = profile(model, 1, FREQUENCY, SIMILARITY);
    merge(model, profile, tmp.resolve("full"), Map.of("experts", 2));
    merge(model, profile, tmp.resolve("r2"), Map.of("experts", 2, "rank", 2));
    Map<String, float[]> full = TestCheckpoints.read(tmp.resolve("full"));
    Map<String, float[]> low = TestCheckpoints.read(tmp.resolve("r2"));
    for (String w : List.of("w1", "w2", "w3")) {
      String name = MixtralLayout.expert(0, 1, w);
      int rows = w.equals("w2") ? HIDDEN : FFN;
      int cols = w.equals("w2") ? FFN : HIDDEN;
      assertThat(low.get(name).length).isEqualTo(rows * cols);
      double[] s = singularValues(low.get(name), rows, cols);
      assertThat(s[2] / s[0]).as(name + " rank").isLessThan(1e-5);
      // Eckart–Young: the error is the norm of the dropped singular values of the merge
      double[] sf = singularValues(full.get(name), rows, cols);
      double dropped = 0;
      for (int k = 2; k < sf.length; k++) {
        dropped += sf[k] * sf[k];
      }
      double err = 0;
      for (int i = 0; i < rows * cols; i++) {
        double d = low.get(name)[i] - full.get(name)[i];
        err += d * d;
      }
      assertThat(Math.sqrt(err)).isCloseTo(Math.sqrt(dropped), within(1e-4));
    }
    assertThat(json(tmp.resolve("r2").resolve(TensorSteps.REPORT)).at("/experts/rank").asInt())
        .isEqualTo(2);
  }

  @Test
  void badInputsAreRefusedWithTheirPathsAndNothingIsWritten() throws Exception {
    Path model = write("moe", MoeCheckpoints.mixtral(2, 4, 7), 2, 4);
    Path profile = profile(model, 2, FREQUENCY, SIMILARITY);
    Path out = tmp.resolve("out");
    assertThat(
            catchThrowableOfType(
                    InvalidMergeException.class,
                    () -> merge(model, profile, out, Map.of("experts", 5)))
                .errors())
        .containsExactly("config.experts: keeps 5 experts, but layer 0 has only 4");

    Path dense =
        TestCheckpoints.write(tmp.resolve("dense"), TestCheckpoints.random(1, 0.1), DType.F32);
    assertThat(
            catchThrowableOfType(
                    InvalidCheckpointException.class,
                    () -> merge(dense, profile, out, Map.of("experts", 2)))
                .problems())
        .containsExactly(
            "models[0].model ("
                + dense
                + "): is a dense llama checkpoint (no num_local_experts); method moe-experts needs"
                + " a Mixtral mixture of experts (upcycle a dense model first)");

    Path other = write("other", MoeCheckpoints.mixtral(2, 4, 8), 2, 4);
    assertThat(
            catchThrowableOfType(
                    InvalidCheckpointException.class,
                    () -> merge(other, profile, out, Map.of("experts", 2)))
                .problems())
        .singleElement()
        .asString()
        .startsWith(
            "profile (" + profile + "): a profile from another model: its router fingerprint");

    assertThat(
            catchThrowableOfType(
                    InvalidMergeException.class,
                    () ->
                        merge(model, profile, out, Map.of("experts", 2, "rank", 0, "align", "yes")))
                .errors())
        .containsExactly("config.align: must be true or false", "config.rank: must be an int >= 1");

    Map<String, Object> two = new LinkedHashMap<>();
    two.put("method", "moe-experts");
    two.put(
        "models",
        List.of(Map.of("model", "${{ inputs.moe }}"), Map.of("model", "${{ inputs.moe }}")));
    two.put("config", Map.of());
    assertThat(
            catchThrowableOfType(
                    InvalidMergeException.class,
                    () ->
                        TensorSteps.run(
                            "merge", two, Map.of("moe", model), out, null, () -> false, l -> {}))
                .errors())
        .containsExactly(
            "models: moe-experts merges the experts within one Mixtral checkpoint, got 2",
            "profile: moe-experts picks the dominant experts by routing frequency; give the"
                + " model's routing profile (a route-stats output)",
            "config.experts: moe-experts needs the number of dominant experts kept per layer");
    assertThat(out).doesNotExist();
  }

  private static double[] singularValues(float[] x, int rows, int cols) {
    double[][] a = new double[rows][cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        a[r][c] = x[r * cols + c];
      }
    }
    return new SingularValueDecomposition(new Array2DRowRealMatrix(a)).getSingularValues();
  }

  private static double[] toDouble(float[] x) {
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = x[i];
    }
    return d;
  }
}
