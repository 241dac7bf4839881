package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.templates.BundledTemplates;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.io.InputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bundled research recipes' fast variants (the {@code fast} params of templates/recipes.json),
 * launched through the API as {@code ./trainyard recipes NAME} does, on the real trainer and tensor
 * engine. Every recipe of that file starts on the first test and all are awaited once; each test
 * below reads one run. They assert the mechanics — baselines run as steps, claim metrics recorded,
 * the lineage and the upcycled config — not the claims: at these sizes those are not reliable
 * (docs/recipes.md holds the full runs' numbers).
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class RecipeTemplatesTest {
  /** Three fast variants sharing 2 loaded cores; each takes about 1-3 minutes alone. */
  static final Duration TIMEOUT = Duration.ofMinutes(30);

  static final List<String> MINE =
      List.of(
          "moe-expert-pruning",
          "moe-merge-compress",
          "upcycle-then-train",
          "stability-gap",
          "domain-cpt-merge",
          "checkpoint-soup");

  private static Map<String, JsonPath> runs;

  @BeforeEach
  void signIn() throws Exception {
    Api.signIn();
    Process check = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").start();
    Assertions.assertTrue(
        check.waitFor() == 0,
        "Debian's python3-torch is not installed (./trainyard test installs it)");
  }

  /** Launches every recipe of templates/recipes.json on first use, then waits for all of them. */
  static synchronized JsonPath run(String recipe) throws Exception {
    if (runs == null) {
      JsonNode registry;
      try (InputStream in =
          RecipeTemplatesTest.class.getResourceAsStream("/templates/recipes.json")) {
        registry = new ObjectMapper().readTree(in);
      }
      Map<String, String> ids = new LinkedHashMap<>();
      for (String name : BundledTemplates.recipes()) {
        Map<String, Object> fast =
            new ObjectMapper().convertValue(registry.get(name).get("fast"), Map.class);
        ids.put(name, Api.launch(name, fast).getString("id"));
      }
      runs = new LinkedHashMap<>();
      for (var e : ids.entrySet()) {
        runs.put(e.getKey(), Api.awaitStatus(e.getValue(), PipelineRunsTest.TERMINAL, TIMEOUT));
      }
    }
    JsonPath run = runs.get(recipe);
    assertThat(run.getString("status"))
        .as(recipe + ": " + run.getString("error"))
        .isEqualTo("SUCCEEDED");
    assertThat(run.getList("steps.status", String.class)).as(recipe).containsOnly("SUCCEEDED");
    return run;
  }

  /** A param of the run: as launched, else the default of the template version it ran. */
  static Object param(JsonPath run, String name) {
    Object launched = run.get("params." + name);
    if (launched != null) {
      return launched;
    }
    JsonPath version =
        given()
            .get(
                "/api/v1/templates/"
                    + run.getString("template")
                    + "/versions/"
                    + run.getInt("templateVersion"))
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    return version.get("params.find { it.name == '" + name + "' }.default");
  }

  static int intParam(JsonPath run, String name) {
    return ((Number) param(run, name)).intValue();
  }

  static String output(JsonPath run, String step, String name) {
    return run.getString("steps.find { it.id == '" + step + "' }.outputs." + name + ".artifactId");
  }

  static List<Map<String, Object>> metrics(JsonPath run, String step) {
    return given()
        .get("/api/v1/runs/" + run.getString("id") + "/steps/" + step + "/metrics")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("points");
  }

  static List<Integer> curveSteps(JsonPath run, String step, String metric) {
    return metrics(run, step).stream()
        .filter(p -> metric.equals(p.get("name")))
        .map(p -> ((Number) p.get("step")).intValue())
        .toList();
  }

  static double last(JsonPath run, String step, String metric) {
    return metrics(run, step).stream()
        .filter(p -> metric.equals(p.get("name")))
        .mapToDouble(p -> ((Number) p.get("value")).doubleValue())
        .reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError(step + " recorded no " + metric));
  }

  static List<String> edgesFrom(String artifact, String node) {
    return given()
        .queryParam("direction", "descendants")
        .get("/api/v1/artifacts/" + artifact + "/lineage")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("edges.findAll { it.from == '" + node + "' }.to", String.class);
  }

  @Test
  void everyRecipeRunsItsFastVariantToSuccessWithEveryStepSucceeded() throws Exception {
    for (String name : BundledTemplates.recipes()) {
      run(name);
    }
  }

  @Test
  void everyRecipeInTheRegistryIsABundledApprovedTemplate() {
    assertThat(BundledTemplates.recipes()).containsAll(MINE);
    for (String name : BundledTemplates.recipes()) {
      JsonPath t =
          given().get("/api/v1/templates/" + name).then().statusCode(200).extract().jsonPath();
      assertThat(t.getBoolean("approved")).as(name + " runs its data command unapproved").isTrue();
    }
  }

  @Test
  void upcycleThenTrainContinuesAnUpcycledMixtralOfNExpertsAndTheDenseBaselineForTheSameSteps()
      throws Exception {
    JsonPath run = run("upcycle-then-train");
    int experts = intParam(run, "experts");
    String upcycled = output(run, "upcycle", "model");
    JsonPath config =
        given()
            .get("/api/v1/artifacts/" + upcycled + "/files/config.json")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(config.getString("model_type")).isEqualTo("mixtral");
    assertThat(config.getInt("num_local_experts")).isEqualTo(experts);
    assertThat(config.getInt("num_experts_per_tok")).isEqualTo(intParam(run, "top_k"));

    // Lineage: dense → upcycle → upcycled model → moe-cpt → its model → eval-moe.
    String id = run.getString("id");
    String dense = output(run, "dense", "model");
    assertThat(edgesFrom(dense, "artifact:" + dense))
        .contains("step:" + id + "/upcycle/1", "step:" + id + "/dense-cpt/1");
    assertThat(edgesFrom(upcycled, "artifact:" + upcycled)).contains("step:" + id + "/moe-cpt/1");
    String moe = output(run, "moe-cpt", "model");
    assertThat(edgesFrom(moe, "artifact:" + moe)).containsExactly("step:" + id + "/eval-moe/1");

    // The baseline trains for the same steps, evaluated at the same points; both held-out losses
    // exist.
    List<Integer> points = curveSteps(run, "moe-cpt", "eval_loss");
    assertThat(points).startsWith(0).endsWith(intParam(run, "train_steps"));
    assertThat(curveSteps(run, "dense-cpt", "eval_loss")).isEqualTo(points);
    double moeLoss = last(run, "eval-moe", "loss");
    double denseLoss = last(run, "eval-dense", "loss");
    System.out.printf(
        "RecipeTemplatesTest: upcycle-then-train fast: held-out loss MoE %.4f, dense %.4f%n",
        moeLoss, denseLoss);
    assertThat(moeLoss).isPositive().isFinite();
    assertThat(denseLoss).isPositive().isFinite();
  }

  @Test
  void stabilityGapRecordsTheGeneralLossCurveOfBothContinuationsAndOnlyTheMitigatedOneReplays()
      throws Exception {
    JsonPath run = run("stability-gap");
    int steps = intParam(run, "cpt_steps");
    int every = intParam(run, "eval_every");
    List<Integer> expected =
        java.util.stream.IntStream.rangeClosed(0, steps / every)
            .map(i -> i * every)
            .boxed()
            .toList();
    assertThat(curveSteps(run, "cpt-plain", "eval_loss")).isEqualTo(expected);
    assertThat(curveSteps(run, "cpt-mitigated", "eval_loss")).isEqualTo(expected);

    // Replay: the mitigated run draws general sequences besides the domain's; the plain one does
    // not.
    assertThat(last(run, "cpt-mitigated", "mix/replay/tokens")).isPositive();
    assertThat(metrics(run, "cpt-plain"))
        .noneMatch(p -> ((String) p.get("name")).startsWith("mix/"));
    // Re-warmup: the mitigated run's first step is at a small share of the peak LR, the plain at
    // its peak.
    double peak = ((Number) param(run, "lr")).doubleValue();
    assertThat(first(run, "cpt-mitigated", "lr")).isLessThan(peak / 2);
    assertThat(first(run, "cpt-plain", "lr")).isGreaterThan(peak * 0.9);

    for (String eval : List.of("eval-plain", "eval-mitigated")) {
      assertThat(last(run, eval, "general/loss")).as(eval).isPositive();
      assertThat(last(run, eval, "domain/loss")).as(eval).isPositive();
    }
  }

  static double first(JsonPath run, String step, String metric) {
    return metrics(run, step).stream()
        .filter(p -> metric.equals(p.get("name")))
        .mapToDouble(p -> ((Number) p.get("value")).doubleValue())
        .findFirst()
        .orElseThrow(() -> new AssertionError(step + " recorded no " + metric));
  }

  @Test
  void domainCptMergeAddsBothTaskVectorsToTheBaseAndEvaluatesTheMergeAndBothParents()
      throws Exception {
    JsonPath run = run("domain-cpt-merge");
    String id = run.getString("id");
    String merge = "step:" + id + "/merge/1";
    for (String parent : List.of("base", "cpt", "chat")) {
      String model = output(run, parent, "model");
      assertThat(edgesFrom(model, "artifact:" + model)).as(parent).contains(merge);
    }
    String merged = output(run, "merge", "model");
    assertThat(edgesFrom(merged, "artifact:" + merged))
        .containsExactly("step:" + id + "/eval-merged/1");
    for (String eval : List.of("eval-merged", "eval-cpt", "eval-chat")) {
      double exactMatch = last(run, eval, "exact_match");
      assertThat(exactMatch).as(eval).isBetween(0.0, 1.0);
      assertThat(last(run, eval, "domain/loss")).as(eval).isPositive();
      System.out.printf(
          "RecipeTemplatesTest: domain-cpt-merge fast: %s exact match %.3f%n", eval, exactMatch);
    }
  }

  static JsonPath file(String artifact, String path) {
    return given()
        .get("/api/v1/artifacts/" + artifact + "/files/" + path)
        .then()
        .statusCode(200)
        .extract()
        .jsonPath();
  }

  @Test
  void moeExpertPruningKeepsKExpertsPerLayerRankedFromTheTaskAProfileAndTheRandomBaselineNeedsNone()
      throws Exception {
    JsonPath run = run("moe-expert-pruning");
    String id = run.getString("id");
    String profile = output(run, "profile", "profile");
    JsonPath stats = file(profile, "profile.json");
    assertThat(stats.getString("dataset.subset")).isEqualTo("task_a");
    assertThat(stats.getList("model.layer_experts", Integer.class)).containsExactly(8, 8);
    // Lineage: the profile feeds the three task-specific prunes and no random one.
    assertThat(edgesFrom(profile, "artifact:" + profile))
        .containsExactlyInAnyOrder(
            "step:" + id + "/prune-0/1", "step:" + id + "/prune-1/1", "step:" + id + "/prune-2/1");
    int[] ks = {6, 4, 2};
    for (int i = 0; i < ks.length; i++) {
      int k = ks[i];
      String pruned = output(run, "prune-" + i, "model");
      JsonPath config = file(pruned, "config.json");
      assertThat(config.getInt("num_local_experts")).as("prune-" + i).isEqualTo(ks[i]);
      assertThat(config.getInt("num_experts_per_tok")).isEqualTo(Math.min(2, ks[i]));
      List<List<Integer>> kept =
          file(pruned, "trainyard-report.json").getList("experts.layers.kept");
      assertThat(kept).hasSize(2).allSatisfy(layer -> assertThat(layer).hasSize(k));
      // The experts kept are the ones task A routes to most.
      for (int layer = 0; layer < 2; layer++) {
        List<Float> freq = stats.getList("layers[" + layer + "].frequency", Float.class);
        float cut =
            freq.stream().sorted(java.util.Comparator.reverseOrder()).toList().get(ks[i] - 1);
        assertThat(kept.get(layer))
            .allSatisfy(j -> assertThat(freq.get(j)).isGreaterThanOrEqualTo(cut));
      }
      assertThat(edgesFrom(pruned, "artifact:" + pruned))
          .containsExactly("step:" + id + "/eval-pruned-" + i + "/1");
      for (int draw = 0; draw < 3; draw++) {
        String random = output(run, "prune-random-" + (3 * i + draw), "model");
        assertThat(file(random, "config.json").getInt("num_local_experts")).isEqualTo(ks[i]);
      }
    }
    System.out.printf(
        "RecipeTemplatesTest: moe-expert-pruning fast: task A exact match dense %.3f, k=2 %.3f%n",
        last(run, "eval-dense", "task_a/exact_match"),
        last(run, "eval-pruned-2", "task_a/exact_match"));
  }

  @Test
  void moeMergeCompressMergesEightExpertsIntoTheFourDominantOnesAndRunsBothBaselines()
      throws Exception {
    JsonPath run = run("moe-merge-compress");
    int experts = intParam(run, "experts");
    for (String step : List.of("merged", "averaged", "pruned")) {
      String model = output(run, step, "model");
      assertThat(file(model, "config.json").getInt("num_local_experts"))
          .as(step)
          .isEqualTo(experts);
    }
    JsonPath merged = file(output(run, "merged", "model"), "trainyard-report.json");
    JsonPath averaged = file(output(run, "averaged", "model"), "trainyard-report.json");
    for (int layer = 0; layer < 2; layer++) {
      String at = "experts.layers[" + layer + "]";
      assertThat(merged.getList(at + ".dominant")).hasSize(experts);
      // Every one of the 8 experts is in exactly one group; the same groups in both merges.
      List<Integer> members =
          merged.getList(at + ".groups.members", List.class).stream()
              .flatMap(g -> ((List<Integer>) g).stream())
              .sorted()
              .toList();
      assertThat(members).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
      assertThat(averaged.getList(at + ".groups.members"))
          .isEqualTo(merged.getList(at + ".groups.members"));
      // Uniform averaging weighs a group's members alike; the frequency-weighted merge need not.
      for (List<Float> weights : averaged.<List<Float>>getList(at + ".groups.weights")) {
        assertThat(weights)
            .allSatisfy(w -> assertThat(w).isCloseTo(1f / weights.size(), within(1e-6f)));
      }
    }
    for (String eval : List.of("eval-moe", "eval-merged", "eval-averaged", "eval-pruned")) {
      assertThat(last(run, eval, "loss")).as(eval).isPositive().isFinite();
    }
  }

  @Test
  void checkpointSoupFansTheSeedsInAndItsRelativeGateIsEvaluatedAgainstEveryIngredient()
      throws Exception {
    JsonPath run = run("checkpoint-soup");
    String id = run.getString("id");
    List<Double> losses = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String model = output(run, "ingredient-" + i, "model");
      assertThat(edgesFrom(model, "artifact:" + model))
          .contains("step:" + id + "/soup/1", "step:" + id + "/eval-ingredient-" + i + "/1");
      losses.add(last(run, "eval-ingredient-" + i, "loss"));
    }
    double best = losses.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    int index = losses.indexOf(best);
    assertThat(last(run, "best", "selected_value")).isCloseTo(best, within(1e-5));
    assertThat(last(run, "best", "selected_index")).isEqualTo(index);
    assertThat(output(run, "best", "model")).isEqualTo(output(run, "ingredient-" + index, "model"));

    JsonPath gate = file(output(run, "eval-soup", "report"), "eval.json");
    assertThat(gate.getString("gate.metric")).isEqualTo("loss");
    assertThat(gate.getString("gate.beat.mode")).isEqualTo("min");
    List<Double> beaten = gate.getList("gate.beat.reports.value", Double.class);
    assertThat(beaten).hasSize(3);
    for (int i = 0; i < 3; i++) {
      assertThat(beaten.get(i)).isCloseTo(losses.get(i), within(1e-5));
    }
    // mode min: the bound is the best (lowest) ingredient loss minus the margin (-1 in the fast
    // variant, so the gate's arithmetic is checked here and the claim only in the full run).
    double margin = ((Number) param(run, "margin")).doubleValue();
    assertThat(gate.getDouble("gate.beat.best")).isCloseTo(best, within(1e-5));
    assertThat(gate.getDouble("gate.beat.bound")).isCloseTo(best - margin, within(1e-5));
    assertThat(gate.getBoolean("gate.passed")).isTrue();
    assertThat(last(run, "eval-soup", "loss")).isLessThanOrEqualTo(best - margin + 1e-5);
  }
}
