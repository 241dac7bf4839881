package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A training step on a mixture of two datasets, through the platform: each source is an input of
 * the step with its own lineage edge, and the tokens each gave are in the step's metrics.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class MixtureTrainingTest {
  static final String SPEC =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: mixture-training
      steps:
        - id: web
          kind: command
          run: for i in $(seq 200); do printf 'the cat sees a red ball.\\n\\n'; done > "$TRAINYARD_OUTPUT/web.txt"
        - id: code
          kind: command
          run: for i in $(seq 200); do printf 'def f(x):\\n    return x + 1\\n\\n'; done > "$TRAINYARD_OUTPUT/code.txt"
        - id: pretrain
          kind: pretrain
          model: {preset: tiny, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1}
          data:
            - {dataset: "${{ steps.web.outputs.output }}", weight: 3}
            - {dataset: "${{ steps.code.outputs.output }}"}
          config: {max_steps: 5, batch_size: 8, seq_len: 16}
      """;

  @BeforeEach
  void signIn() throws Exception {
    Api.signIn();
    Process check = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").start();
    Assertions.assertTrue(
        check.waitFor() == 0,
        "Debian's python3-torch is not installed (./trainyard test installs it)");
  }

  @Test
  void eachSourceOfAMixtureIsInTheCheckpointsLineageAndTheTokensItGaveInTheStepsMetrics() {
    Api.createTemplate(SPEC);
    String runId = Api.launch("mixture-training", Map.of()).getString("id");
    JsonPath run = Api.awaitStatus(runId, PipelineRunsTest.TERMINAL, Duration.ofMinutes(5));
    assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");

    String web = run.getString("steps.find { it.id == 'web' }.outputs.output.artifactId");
    String code = run.getString("steps.find { it.id == 'code' }.outputs.output.artifactId");
    String model = run.getString("steps.find { it.id == 'pretrain' }.outputs.model.artifactId");
    JsonPath ancestors =
        given()
            .queryParam("direction", "ancestors")
            .get("/api/v1/artifacts/" + model + "/lineage")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    String trained = "step:" + runId + "/pretrain/1";
    assertThat(
            ancestors.getList(
                "edges.findAll { it.to == '" + trained + "' && it.role == 'input:data' }.from",
                String.class))
        .containsExactlyInAnyOrder("artifact:" + web, "artifact:" + code);

    Map<String, Float> metrics =
        run.getMap("steps.find { it.id == 'pretrain' }.attempts[-1].metrics");
    // 5 steps × 8 sequences × 16 tokens, shared 3 : 1.
    assertThat(metrics.get("mix/web.output/tokens")).isEqualTo(480f);
    assertThat(metrics.get("mix/code.output/tokens")).isEqualTo(160f);
  }
}
