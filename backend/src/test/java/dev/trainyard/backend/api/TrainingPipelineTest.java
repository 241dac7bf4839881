package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real PyTorch training through the platform: data → pretrain → merge → prune → evaluate, on CPU.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class TrainingPipelineTest {
  static final String SPEC =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: tiny-training
      steps:
        - id: data
          kind: command
          run: PYTHONPATH="$TRAINYARD_TRAINER_PYTHONPATH" "$TRAINYARD_PYTHON" -m trainyard_trainer.datasets --out "$TRAINYARD_OUTPUT" --seed 1
        - id: pretrain
          kind: pretrain
          model: tiny
          data: ${{ steps.data.outputs.output }}
          config: {max_steps: 30, batch_size: 8, seq_len: 32, lr: 3.0e-3, checkpoint_every: 10, seed: 1}
        - id: soup
          kind: merge
          method: linear
          models:
            - {model: "${{ steps.pretrain.outputs.model }}", weight: 1.0}
        - id: prune
          kind: prune
          model: ${{ steps.soup.outputs.model }}
          method: magnitude
          config: {sparsity: 0.3}
        - id: eval
          kind: evaluate
          model: ${{ steps.prune.outputs.model }}
          data: ${{ steps.data.outputs.output }}
          config: {max_samples: 20}
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
  void aTrainedMergedAndPrunedCheckpointIsEvaluatedAndItsLineageAndScoresAreRecorded() {
    Api.createTemplate(SPEC);
    String runId = Api.launch("tiny-training", Map.of()).getString("id");
    JsonPath run = Api.awaitStatus(runId, PipelineRunsTest.TERMINAL, Duration.ofMinutes(5));
    assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");

    String pruned = run.getString("steps.find { it.id == 'prune' }.outputs.model.artifactId");
    String data = run.getString("steps.find { it.id == 'data' }.outputs.output.artifactId");
    JsonPath artifact =
        given().get("/api/v1/artifacts/" + pruned).then().statusCode(200).extract().jsonPath();
    assertThat(artifact.getString("type")).isEqualTo("checkpoint");
    assertThat(artifact.getList("files.path", String.class))
        .contains("config.json", "model.safetensors", "tokenizer.json");

    List<Map<String, Object>> evals =
        given()
            .get("/api/v1/artifacts/" + pruned + "/evals")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("items");
    assertThat(evals)
        .anySatisfy(
            e ->
                assertThat(e)
                    .containsEntry("metric", "exact_match")
                    .containsEntry("stepId", "eval"));

    JsonPath ancestors =
        given()
            .queryParam("direction", "ancestors")
            .get("/api/v1/artifacts/" + pruned + "/lineage")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(ancestors.getList("nodes.id", String.class))
        .contains(
            "artifact:" + data,
            "step:" + runId + "/pretrain/1",
            "step:" + runId + "/soup/1",
            "step:" + runId + "/prune/1");
    assertThat(ancestors.getList("edges.role", String.class))
        .contains("input:data", "input:models", "input:model");

    List<Map<String, Object>> workers =
        given().get("/api/v1/workers").then().statusCode(200).extract().jsonPath().getList("items");
    assertThat(workers)
        .anySatisfy(
            w -> assertThat(w).containsEntry("id", "local").containsEntry("status", "IDLE"));
  }
}
