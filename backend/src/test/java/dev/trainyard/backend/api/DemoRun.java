package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;

import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/**
 * One launch of the bundled {@code demo} template through the API, at one seed, and what a user
 * reads back from it: the run's status, the gated evaluation's exact match and the launch-to-finish
 * time. Shared by the test that runs the demo once (DemoPipelineTest) and the ten-seed benchmark.
 */
public record DemoRun(
    String runId, String status, String error, double exactMatch, Duration duration, JsonPath run) {

  /** Longer than a loaded 2-core machine needs (about 2 minutes when idle). */
  static final Duration TIMEOUT = Duration.ofMinutes(30);

  public static DemoRun launch(int seed) {
    String runId = Api.launch("demo", Map.of("seed", seed)).getString("id");
    JsonPath run = Api.awaitStatus(runId, PipelineRunsTest.TERMINAL, TIMEOUT);
    List<Map<String, Object>> points =
        given()
            .get("/api/v1/runs/" + runId + "/steps/eval/metrics")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("points");
    double exactMatch =
        points.stream()
            .filter(p -> "exact_match".equals(p.get("name")))
            .mapToDouble(p -> ((Number) p.get("value")).doubleValue())
            .reduce((a, b) -> b)
            .orElse(Double.NaN);
    Duration took =
        Duration.between(
            OffsetDateTime.parse(run.getString("createdAt")),
            OffsetDateTime.parse(run.getString("finishedAt")));
    return new DemoRun(
        runId, run.getString("status"), run.getString("error"), exactMatch, took, run);
  }
}
