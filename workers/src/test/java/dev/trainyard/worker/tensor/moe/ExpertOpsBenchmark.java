package dev.trainyard.worker.tensor.moe;

import dev.trainyard.worker.tensor.TensorSteps;
import dev.trainyard.worker.tensor.TestCheckpoints;
import dev.trainyard.worker.tensor.safetensors.CheckpointWriter;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wall time of expert pruning and merging on a Mixtral of the recipes' size (the tiny preset's
 * widths, 8 experts, 4 layers), against a k = N prune (a byte copy of the checkpoint) in the same
 * run, plus the Hungarian alignment alone at growing expert widths (docs/benchmarks.md). Not part
 * of the test run:
 *
 * <pre>
 * ./mvnw -pl workflows,workers test -Dtest=ExpertOpsBenchmark -Dtests.excludedGroups=none
 * -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@Tag("benchmark")
class ExpertOpsBenchmark {
  private static final int HIDDEN = 96;
  private static final int FFN = 256;
  private static final int LAYERS = 4;
  private static final int EXPERTS = 8;

  @TempDir Path dir;

  @Test
  void expertPruneAndMergeAgainstACopy() throws Exception {
    Random rnd = new Random(1);
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put("model.embed_tokens.weight", new long[] {256, HIDDEN});
    for (int i = 0; i < LAYERS; i++) {
      shapes.put(MixtralLayout.gate(i), new long[] {EXPERTS, HIDDEN});
      for (int j = 0; j < EXPERTS; j++) {
        shapes.put(MixtralLayout.expert(i, j, "w1"), new long[] {FFN, HIDDEN});
        shapes.put(MixtralLayout.expert(i, j, "w2"), new long[] {HIDDEN, FFN});
        shapes.put(MixtralLayout.expert(i, j, "w3"), new long[] {FFN, HIDDEN});
      }
    }
    Path model = Files.createDirectories(dir.resolve("moe"));
    List<TensorSpec> plan = new ArrayList<>();
    shapes.forEach((n, s) -> plan.add(new TensorSpec(n, DType.BF16, s)));
    try (CheckpointWriter w =
        new CheckpointWriter(model, plan, CheckpointWriter.DEFAULT_MAX_SHARD_BYTES)) {
      for (TensorSpec s : plan) {
        float[] v = new float[(int) s.numel()];
        for (int k = 0; k < v.length; k++) {
          v[k] = (float) (rnd.nextGaussian() * 0.05);
        }
        w.writeFloats(s.name(), v);
      }
      w.writeFile(
          "config.json",
          ("{\"model_type\": \"mixtral\", \"hidden_size\": %d, \"num_hidden_layers\": %d,"
                  + " \"num_local_experts\": %d, \"num_experts_per_tok\": 2}")
              .formatted(HIDDEN, LAYERS, EXPERTS)
              .getBytes());
      w.commit();
    }
    double[][] frequency = new double[LAYERS][EXPERTS];
    double[][][] similarity = new double[LAYERS][EXPERTS][EXPERTS];
    for (int i = 0; i < LAYERS; i++) {
      for (int j = 0; j < EXPERTS; j++) {
        frequency[i][j] = rnd.nextDouble();
        for (int k = 0; k < EXPERTS; k++) {
          similarity[i][j][k] = j == k ? 1 : rnd.nextDouble();
        }
      }
    }
    Path profile =
        MoeCheckpoints.profile(
            dir.resolve("profile"),
            MoeCheckpoints.fingerprint(TestCheckpoints.read(model), LAYERS),
            EXPERTS,
            frequency,
            frequency,
            similarity);
    System.out.printf(
        "mixtral %d layers x %d experts, hidden %d, ffn %d (%.1f MB bf16), %d cores%n",
        LAYERS,
        EXPERTS,
        HIDDEN,
        FFN,
        Files.size(model.resolve("model.safetensors")) / 1e6,
        Runtime.getRuntime().availableProcessors());
    Map<String, Map<String, Object>> cases = new LinkedHashMap<>();
    cases.put("prune k=8 (byte copy, baseline)", prune(8));
    cases.put("prune experts k=4", prune(4));
    cases.put("merge moe-experts k=4", merge(Map.of("experts", 4)));
    cases.put("merge moe-experts k=4 align", merge(Map.of("experts", 4, "align", true)));
    cases.put(
        "merge moe-experts k=4 align rank 16",
        merge(Map.of("experts", 4, "align", true, "rank", 16)));
    int round = 0;
    for (var c : cases.entrySet()) {
      double best = Double.MAX_VALUE;
      for (int rep = 0; rep < 3; rep++) {
        Path out = dir.resolve("out-" + round++);
        Map<String, Path> inputs = Map.of("moe", model, "profile", profile);
        String kind = c.getValue().containsKey("models") ? "merge" : "prune";
        long t0 = System.nanoTime();
        TensorSteps.run(kind, c.getValue(), inputs, out, null, () -> false, l -> {});
        best = Math.min(best, (System.nanoTime() - t0) / 1e6);
      }
      System.out.printf("%-40s best of 3: %7.1f ms%n", c.getKey(), best);
    }
    for (int n : new int[] {256, 1024, 2048}) {
      double[][] a = new double[n][n];
      for (double[] row : a) {
        for (int k = 0; k < n; k++) {
          row[k] = rnd.nextGaussian();
        }
      }
      long t0 = System.nanoTime();
      Alignment.maximize(a);
      System.out.printf("hungarian n=%d: %.1f ms%n", n, (System.nanoTime() - t0) / 1e6);
    }
  }

  private static Map<String, Object> prune(int k) {
    return Map.of(
        "model", "${{ inputs.moe }}",
        "method", "experts",
        "profile", "${{ inputs.profile }}",
        "config", Map.of("experts", k));
  }

  private static Map<String, Object> merge(Map<String, Object> config) {
    return Map.of(
        "method",
        "moe-experts",
        "models",
        List.of(Map.of("model", "${{ inputs.moe }}")),
        "profile",
        "${{ inputs.profile }}",
        "config",
        config);
  }
}
