package dev.trainyard.worker.tensor.prune;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.worker.tensor.TensorSteps;
import dev.trainyard.worker.tensor.TestCheckpoints;
import dev.trainyard.worker.tensor.safetensors.DType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrunerTest {
  @TempDir Path tmp;

  private Map<String, float[]> prune(Map<String, Object> body, Map<String, float[]> model)
      throws IOException {
    Path in = TestCheckpoints.write(tmp.resolve("in"), model, DType.F32);
    Path out = tmp.resolve("out");
    TensorSteps.run("prune", body, Map.of("m", in), out, null, () -> false, s -> {});
    return TestCheckpoints.read(out);
  }

  @Test
  void magnitudePruningZeroesTheSmallestPerTensorAndSkipsEmbeddingsAndNorms() throws IOException {
    Map<String, float[]> model = TestCheckpoints.random(3, 1.0);
    var out =
        prune(
            Map.of(
                "model",
                "${{ inputs.m }}",
                "method",
                "magnitude",
                "config",
                Map.of("sparsity", 0.5)),
            model);
    for (String name : model.keySet()) {
      float[] x = model.get(name);
      boolean pruned = name.contains("q_proj") || name.contains("up_proj");
      if (!pruned) {
        assertThat(out.get(name)).as(name).containsExactly(x);
        continue;
      }
      int k = x.length / 2;
      Integer[] order = IntStream.range(0, x.length).boxed().toArray(Integer[]::new);
      Arrays.sort(
          order, Comparator.<Integer>comparingDouble(i -> Math.abs(x[i])).thenComparingInt(i -> i));
      float[] expected = x.clone();
      for (int r = 0; r < k; r++) {
        expected[order[r]] = 0;
      }
      assertThat(out.get(name)).as(name).containsExactly(expected);
    }
  }

  @Test
  void globalMagnitudePruningUsesOneThresholdAcrossTensors() throws IOException {
    Map<String, float[]> model = TestCheckpoints.random(4, 1.0);
    float[] q = model.get("model.layers.0.self_attn.q_proj.weight");
    for (int i = 0; i < q.length; i++) {
      q[i] *= 10; // q_proj is larger: a global threshold prunes it less
    }
    var out =
        prune(
            Map.of(
                "model",
                "${{ inputs.m }}",
                "method",
                "magnitude",
                "config",
                Map.of("sparsity", 0.5, "scope", "global")),
            model);
    float[] all = new float[q.length + model.get("model.layers.0.mlp.up_proj.weight").length];
    System.arraycopy(q, 0, all, 0, q.length);
    System.arraycopy(
        model.get("model.layers.0.mlp.up_proj.weight"), 0, all, q.length, all.length - q.length);
    float[] mags = new float[all.length];
    for (int i = 0; i < all.length; i++) {
      mags[i] = Math.abs(all[i]);
    }
    Arrays.sort(mags);
    float threshold = mags[all.length / 2];
    long zeros = 0;
    for (String name :
        List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.up_proj.weight")) {
      float[] before = model.get(name);
      float[] after = out.get(name);
      for (int i = 0; i < before.length; i++) {
        if (after[i] == 0) {
          zeros++;
          assertThat(Math.abs(before[i])).isLessThanOrEqualTo(threshold);
        } else {
          assertThat(Math.abs(before[i])).isGreaterThanOrEqualTo(threshold);
        }
      }
    }
    assertThat(zeros).isEqualTo(all.length / 2);
  }

  @Test
  void twoFourPruningKeepsTheTwoLargestOfEveryFourAndReportsSparsity() throws IOException {
    Map<String, float[]> model = TestCheckpoints.random(5, 1.0);
    var out = prune(Map.of("model", "${{ inputs.m }}", "method", "nm"), model);
    float[] before = model.get("model.layers.0.mlp.up_proj.weight");
    float[] after = out.get("model.layers.0.mlp.up_proj.weight");
    for (int g = 0; g < before.length; g += 4) {
      Integer[] idx = {g, g + 1, g + 2, g + 3};
      Arrays.sort(
          idx,
          Comparator.<Integer>comparingDouble(i -> -Math.abs(before[i])).thenComparingInt(i -> i));
      assertThat(after[idx[0]]).isEqualTo(before[idx[0]]);
      assertThat(after[idx[1]]).isEqualTo(before[idx[1]]);
      assertThat(after[idx[2]]).isZero();
      assertThat(after[idx[3]]).isZero();
    }
    var report =
        new ObjectMapper().readTree(tmp.resolve("out").resolve(TensorSteps.REPORT).toFile());
    var up =
        java.util.stream.StreamSupport.stream(report.get("tensors").spliterator(), false)
            .filter(t -> t.get("name").asText().equals("model.layers.0.mlp.up_proj.weight"))
            .findFirst()
            .orElseThrow();
    assertThat(up.get("sparsity").asDouble()).isEqualTo(0.5);
  }
}
