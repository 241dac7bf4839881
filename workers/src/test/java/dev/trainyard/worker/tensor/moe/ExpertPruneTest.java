package dev.trainyard.worker.tensor.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code prune} method {@code experts} on a tiny 2-layer, 4-expert Mixtral. */
class ExpertPruneTest {
  private static final int LAYERS = 2;
  private static final int EXPERTS = 4;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Layer 0 routes most to experts 1 and 3, layer 1 to 0 and 2. */
  private static final double[][] FREQUENCY = {{0.1, 0.9, 0.3, 0.7}, {0.8, 0.2, 0.6, 0.4}};

  /** Ranks differently from frequency: layer 0 keeps 0 and 2, layer 1 keeps 1 and 3. */
  private static final double[][] GATE_NORM = {{0.5, 0.1, 0.4, 0.2}, {0.1, 0.9, 0.2, 0.3}};

  @TempDir Path tmp;
  private Path model;
  private Map<String, float[]> stored;
  private Path profile;

  @BeforeEach
  void mixtral() throws Exception {
    model =
        MoeCheckpoints.write(
            tmp.resolve("moe"),
            MoeCheckpoints.mixtral(LAYERS, EXPERTS, 3),
            MoeCheckpoints.config(LAYERS, EXPERTS, 2),
            DType.BF16);
    stored = TestCheckpoints.read(model);
    profile =
        MoeCheckpoints.profile(
            tmp.resolve("profile"),
            MoeCheckpoints.fingerprint(stored, LAYERS),
            EXPERTS,
            FREQUENCY,
            GATE_NORM,
            null);
  }

  private TensorSteps.Result prune(Path out, Map<String, Object> config, Path withProfile)
      throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", "${{ inputs.model }}");
    body.put("method", "experts");
    Map<String, Path> inputs = new LinkedHashMap<>();
    inputs.put("model", model);
    if (withProfile != null) {
      body.put("profile", "${{ inputs.profile }}");
      inputs.put("profile", withProfile);
    }
    body.put("config", config);
    return TensorSteps.run("prune", body, inputs, out, null, () -> false, l -> {});
  }

  private static JsonNode json(Path file) throws Exception {
    return JSON.readTree(file.toFile());
  }

  @Test
  void keepingEveryExpertIsTheIdentityByteForByte() throws Exception {
    Path out = tmp.resolve("out");
    prune(out, Map.of("experts", EXPERTS), profile);
    assertThat(Files.readAllBytes(out.resolve("model.safetensors")))
        .isEqualTo(Files.readAllBytes(model.resolve("model.safetensors")));
    JsonNode config = json(out.resolve("config.json"));
    assertThat(config.get("num_local_experts").asInt()).isEqualTo(EXPERTS);
    assertThat(config.get("num_experts_per_tok").asInt()).isEqualTo(2);
    assertThat(config.has("layer_experts")).isFalse();
  }

  @Test
  void theMostFrequentExpertsAreKeptInTheirOriginalOrderWithTheirRouterRows() throws Exception {
    Path out = tmp.resolve("out");
    prune(out, Map.of("experts", 2), profile);
    Map<String, float[]> pruned = TestCheckpoints.read(out);
    int[][] kept = {{1, 3}, {0, 2}};
    for (int i = 0; i < LAYERS; i++) {
      for (int n = 0; n < 2; n++) {
        for (String w : List.of("w1", "w2", "w3")) {
          assertThat(pruned.get(MixtralLayout.expert(i, n, w)))
              .as("layer %d expert %d %s", i, n, w)
              .isEqualTo(stored.get(MixtralLayout.expert(i, kept[i][n], w)));
        }
      }
      assertThat(pruned).doesNotContainKey(MixtralLayout.expert(i, 2, "w1"));
      float[] router = stored.get(MixtralLayout.gate(i));
      float[] expected = new float[2 * MoeCheckpoints.HIDDEN];
      for (int n = 0; n < 2; n++) {
        System.arraycopy(
            router,
            kept[i][n] * MoeCheckpoints.HIDDEN,
            expected,
            n * MoeCheckpoints.HIDDEN,
            MoeCheckpoints.HIDDEN);
      }
      assertThat(pruned.get(MixtralLayout.gate(i))).as("router of layer " + i).isEqualTo(expected);
    }
    assertThat(pruned.get("model.layers.1.self_attn.q_proj.weight"))
        .isEqualTo(stored.get("model.layers.1.self_attn.q_proj.weight"));
    // every expert tensor of the 2 layers × 2 kept experts, nothing more
    assertThat(pruned.keySet().stream().filter(n -> n.contains(".experts.")).count()).isEqualTo(12);

    JsonNode config = json(out.resolve("config.json"));
    assertThat(config.get("num_local_experts").asInt()).isEqualTo(2);
    assertThat(config.get("num_experts_per_tok").asInt()).isEqualTo(2);
    assertThat(config.has("layer_experts")).isFalse();
    assertThat(config.get("model_type").asText()).isEqualTo("mixtral");

    JsonNode report = json(out.resolve(TensorSteps.REPORT)).get("experts");
    assertThat(report.get("rank_by").asText()).isEqualTo("frequency");
    assertThat(report.get("layers").get(0).get("kept").toString()).isEqualTo("[1,3]");
    assertThat(report.get("layers").get(1).get("kept").toString()).isEqualTo("[0,2]");
    assertThat(json(out.resolve(TensorSteps.REPORT)).get("inputs").get(1).get("role").asText())
        .isEqualTo("profile");
  }

  @Test
  void gateNormRanksByTheGateWeightedOutputNorm() throws Exception {
    Path out = tmp.resolve("out");
    prune(out, Map.of("experts", 2, "rank_by", "gate-norm"), profile);
    Map<String, float[]> pruned = TestCheckpoints.read(out);
    assertThat(pruned.get(MixtralLayout.expert(0, 1, "w2")))
        .isEqualTo(stored.get(MixtralLayout.expert(0, 2, "w2")));
    assertThat(pruned.get(MixtralLayout.expert(1, 0, "w2")))
        .isEqualTo(stored.get(MixtralLayout.expert(1, 1, "w2")));
    JsonNode report = json(out.resolve(TensorSteps.REPORT)).get("experts");
    assertThat(report.get("layers").get(0).get("kept").toString()).isEqualTo("[0,2]");
    assertThat(report.get("layers").get(1).get("kept").toString()).isEqualTo("[1,3]");
  }

  @Test
  void perLayerCountsWriteLayerExpertsAndLowerTopKToTheSmallestLayer() throws Exception {
    Path out = tmp.resolve("out");
    prune(out, Map.of("experts", List.of(3, 1)), profile);
    JsonNode config = json(out.resolve("config.json"));
    assertThat(config.get("num_local_experts").asInt()).isEqualTo(3);
    assertThat(config.get("layer_experts").toString()).isEqualTo("[3,1]");
    assertThat(config.get("num_experts_per_tok").asInt()).isEqualTo(1);
    Map<String, float[]> pruned = TestCheckpoints.read(out);
    assertThat(pruned.get(MixtralLayout.gate(0)).length).isEqualTo(3 * MoeCheckpoints.HIDDEN);
    assertThat(pruned.get(MixtralLayout.gate(1)).length).isEqualTo(MoeCheckpoints.HIDDEN);
    // layer 1 keeps its most frequent expert, 0
    assertThat(pruned.get(MixtralLayout.expert(1, 0, "w1")))
        .isEqualTo(stored.get(MixtralLayout.expert(1, 0, "w1")));
    assertThat(pruned).doesNotContainKey(MixtralLayout.expert(1, 1, "w1"));
    // layer 0 keeps 1, 2, 3 (0.9, 0.7, 0.3)
    assertThat(pruned.get(MixtralLayout.expert(0, 0, "w3")))
        .isEqualTo(stored.get(MixtralLayout.expert(0, 1, "w3")));
  }

  @Test
  void aModelWithPerLayerCountsIsReadByItsLayerExpertsAndPrunedAgain() throws Exception {
    Path first = tmp.resolve("first");
    prune(first, Map.of("experts", List.of(3, 1)), profile);
    model = first;
    Path again = tmp.resolve("again");
    var e =
        catchThrowableOfType(
            InvalidMergeException.class,
            () -> prune(again, Map.of("experts", 2, "rank_by", "random"), null));
    assertThat(e.errors())
        .containsExactly("config.experts: keeps 2 experts, but layer 1 has only 1");
    prune(again, Map.of("experts", List.of(1, 1), "rank_by", "random"), null);
    JsonNode config = json(again.resolve("config.json"));
    assertThat(config.get("num_local_experts").asInt()).isEqualTo(1);
    assertThat(config.has("layer_experts")).isFalse();
    assertThat(config.get("num_experts_per_tok").asInt()).isEqualTo(1);
    assertThat(TestCheckpoints.read(again).get(MixtralLayout.gate(0)).length)
        .isEqualTo(MoeCheckpoints.HIDDEN);
  }

  @Test
  void randomRankingNeedsNoProfileAndTheSameSeedKeepsTheSameExperts() throws Exception {
    prune(tmp.resolve("a"), Map.of("experts", 2, "rank_by", "random", "seed", 7), null);
    prune(tmp.resolve("b"), Map.of("experts", 2, "rank_by", "random", "seed", 7), null);
    JsonNode a = json(tmp.resolve("a").resolve(TensorSteps.REPORT)).get("experts");
    JsonNode b = json(tmp.resolve("b").resolve(TensorSteps.REPORT)).get("experts");
    assertThat(a.get("layers")).isEqualTo(b.get("layers"));
    assertThat(a.get("layers").get(0).get("kept").size()).isEqualTo(2);
    // over seeds 0..19 the random baseline does not always pick the frequent experts
    boolean differs = false;
    for (int seed = 0; seed < 20 && !differs; seed++) {
      Path out = tmp.resolve("s" + seed);
      prune(out, Map.of("experts", 2, "rank_by", "random", "seed", seed), null);
      differs =
          !json(out.resolve(TensorSteps.REPORT))
              .at("/experts/layers/0/kept")
              .toString()
              .equals("[1,3]");
    }
    assertThat(differs).isTrue();
  }

  @Test
  void aDenseCheckpointIsRefusedAtModelAndNothingIsWritten() throws Exception {
    model = TestCheckpoints.write(tmp.resolve("dense"), TestCheckpoints.random(1, 0.1), DType.F32);
    Path out = tmp.resolve("out");
    var e =
        catchThrowableOfType(
            InvalidCheckpointException.class,
            () -> prune(out, Map.of("experts", 2, "rank_by", "random"), null));
    assertThat(e.problems())
        .containsExactly(
            "model ("
                + model
                + "): is a dense llama checkpoint (no num_local_experts); method experts needs a"
                + " Mixtral mixture of experts (upcycle a dense model first)");
    assertThat(out).doesNotExist();
  }

  @Test
  void countsTheModelCannotHaveAreRefusedAtConfigExperts() throws Exception {
    Path out = tmp.resolve("out");
    assertThat(
            catchThrowableOfType(
                    InvalidMergeException.class, () -> prune(out, Map.of("experts", 5), profile))
                .errors())
        .containsExactly("config.experts: keeps 5 experts, but layer 0 has only 4");
    assertThat(
            catchThrowableOfType(
                    InvalidMergeException.class,
                    () -> prune(out, Map.of("experts", List.of(2, 2, 2)), profile))
                .errors())
        .containsExactly("config.experts: lists 3 counts, but the model has 2 layers");
    assertThat(
            catchThrowableOfType(
                    InvalidMergeException.class,
                    () -> prune(out, Map.of("experts", List.of(0, 9)), profile))
                .errors())
        .containsExactly(
            "config.experts: must be an int >= 1, or a list of them with one per layer, got [0, 9]");
    assertThat(
            catchThrowableOfType(
                    InvalidMergeException.class,
                    () -> prune(out, Map.of("experts", List.of(2, 9)), profile))
                .errors())
        .containsExactly("config.experts[1]: keeps 9 experts, but layer 1 has only 4");
    assertThat(
            catchThrowableOfType(
                    InvalidMergeException.class, () -> prune(out, Map.of("experts", 0), profile))
                .errors())
        .containsExactly(
            "config.experts: must be an int >= 1, or a list of them with one per layer, got 0");
    assertThat(
            catchThrowableOfType(
                    InvalidMergeException.class, () -> prune(out, Map.of("experts", 2), null))
                .errors())
        .containsExactly(
            "profile: rank_by frequency ranks experts from a routing profile (a route-stats"
                + " output); give one, or use rank_by random");
    assertThat(out).doesNotExist();
  }

  @Test
  void aProfileFromAnotherModelIsRefusedAtProfile() throws Exception {
    Path out = tmp.resolve("out");
    Path other =
        MoeCheckpoints.profile(
            tmp.resolve("other"), "ab".repeat(32), EXPERTS, FREQUENCY, GATE_NORM, null);
    var fingerprint =
        catchThrowableOfType(
            InvalidCheckpointException.class, () -> prune(out, Map.of("experts", 2), other));
    assertThat(fingerprint.problems())
        .singleElement()
        .asString()
        .startsWith(
            "profile ("
                + other
                + "): a profile from another model: its router fingerprint abababababab… is not this checkpoint's ");

    String good = MoeCheckpoints.fingerprint(stored, LAYERS);
    Path oneLayer =
        MoeCheckpoints.profile(
            tmp.resolve("one"), good, EXPERTS, new double[][] {FREQUENCY[0]}, null, null);
    assertThat(
            catchThrowableOfType(
                    InvalidCheckpointException.class,
                    () -> prune(out, Map.of("experts", 2), oneLayer))
                .problems())
        .containsExactly(
            "profile ("
                + oneLayer
                + "): a profile from another model: it has 1 layers, the checkpoint 2");
    Path eight =
        MoeCheckpoints.profile(
            tmp.resolve("eight"),
            good,
            8,
            new double[][] {new double[8], new double[8]},
            null,
            null);
    assertThat(
            catchThrowableOfType(
                    InvalidCheckpointException.class, () -> prune(out, Map.of("experts", 2), eight))
                .problems())
        .containsExactly(
            "profile ("
                + eight
                + "): a profile from another model: it has [8, 8] experts per layer, the checkpoint"
                + " [4, 4]");
    assertThat(out).doesNotExist();
  }
}
