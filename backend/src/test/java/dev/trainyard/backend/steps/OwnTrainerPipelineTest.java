package dev.trainyard.backend.steps;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bring your own trainer, end to end: a plain PyTorch script (not the reference trainer) as a
 * {@code command} step whose output is a checkpoint, run by the pipeline workflow on the embedded
 * Temporal service and worker, recorded in the catalog.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class OwnTrainerPipelineTest {
  static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");
  static final Path SCRIPT =
      Path.of("../workers/src/test/resources/byot/train_tiny.py").toAbsolutePath().normalize();

  @Inject EntityManager em;

  @BeforeEach
  void setUp() throws Exception {
    Process torch = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").start();
    Assertions.assertTrue(torch.waitFor() == 0, "Debian's python3-torch is not installed");
    Assertions.assertTrue(Files.isRegularFile(SCRIPT), "the script is at " + SCRIPT);
    Api.signIn();
  }

  static String template(String name, String trainerArgs) {
    return """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        steps:
          - id: data
            kind: command
            run: seq 1 64 > "$TRAINYARD_OUTPUT/numbers.txt"
          - id: train
            kind: command
            output_type: checkpoint
            inputs: {data: "${{ steps.data.outputs.output }}"}
            retry: {max_attempts: 3, backoff_seconds: 0}
            run: exec /usr/bin/python3 %s %s
        """
        .formatted(name, SCRIPT, trainerArgs);
  }

  static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void aCrashedTrainerIsRetriedFromItsCheckpointAndItsCheckpointHasTheCommandsInputsUpstream() {
    String name = unique("own-trainer");
    Api.createTemplate(template(name, "--steps 4 --crash-after 2"));
    String runId = Api.launch(name, Map.of()).getString("id");

    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(120));

    assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
    String train = "steps.find { it.id == 'train' }";
    assertThat(run.getList(train + ".attempts.status", String.class))
        .containsExactly("FAILED", "SUCCEEDED");
    assertThat(run.getString(train + ".attempts[0].error")).contains("simulated crash");
    assertThat(run.getDouble(train + ".attempts[1].metrics.resumed_from_step")).isEqualTo(2.0);
    String log =
        given()
            .queryParam("attempt", 2)
            .get("/api/v1/runs/" + runId + "/steps/train/log")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertThat(log)
        .containsPattern(
            "trainyard: resumed from \\S*/train/attempt-1/checkpoints/checkpoint-2 at step 2");

    String model = run.getString(train + ".outputs.output.artifactId");
    String data = run.getString("steps.find { it.id == 'data' }.outputs.output.artifactId");
    JsonPath artifact =
        given().get("/api/v1/artifacts/" + model).then().statusCode(200).extract().jsonPath();
    assertThat(artifact.getString("type")).isEqualTo("checkpoint");
    assertThat(artifact.getList("files.path", String.class))
        .containsExactly("config.json", "model.safetensors");
    JsonPath ancestors =
        given()
            .queryParam("direction", "ancestors")
            .get("/api/v1/artifacts/" + model + "/lineage")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    String attempt = "step:" + runId + "/train/2";
    assertThat(ancestors.getList("nodes.id", String.class))
        .contains("artifact:" + data, attempt)
        .doesNotContain("step:" + runId + "/train/1");
    assertThat(
            ancestors.getString(
                "edges.find { it.from == 'artifact:"
                    + data
                    + "' && it.to == '"
                    + attempt
                    + "' }.role"))
        .isEqualTo("input");
  }

  @Test
  void aTrainerThatWritesOnlyConfigJsonFailsNamingTheMissingWeightsWithoutARetryOrAnArtifact() {
    String name = unique("own-trainer-half");
    Api.createTemplate(template(name, "--only-config"));
    String runId = Api.launch(name, Map.of()).getString("id");

    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(120));

    assertThat(run.getString("status")).isEqualTo("FAILED");
    String train = "steps.find { it.id == 'train' }";
    assertThat(run.getList(train + ".attempts.status", String.class)).containsExactly("FAILED");
    assertThat(run.getString(train + ".attempts[0].error"))
        .contains("declares its output a checkpoint")
        .contains("model.safetensors: missing")
        .contains("nothing was stored");
    assertThat(
            ((Number)
                    em.createNativeQuery(
                            "SELECT count(*) FROM artifact WHERE run_id = ?1 AND type = 'checkpoint'")
                        .setParameter(1, runId)
                        .getSingleResult())
                .longValue())
        .isZero();
  }
}
