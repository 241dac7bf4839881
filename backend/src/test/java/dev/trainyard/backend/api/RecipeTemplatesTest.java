package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Assumptions;
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
      List.of("upcycle-then-train", "stability-gap", "domain-cpt-merge");

  private static Map<String, JsonPath> runs;

  @BeforeEach
  void signIn() throws Exception {
    Api.signIn();
    Process check = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").start();
    Assumptions.assumeTrue(
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
}
