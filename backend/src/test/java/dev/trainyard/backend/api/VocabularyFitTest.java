package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.config.TrainyardConfig;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 "Done means": a tokenizer whose vocabulary does not fit the model is refused at launch
 * with 422 and the path, before anything is created.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class VocabularyFitTest {
  @Inject TrainyardConfig config;

  /** steps[2] trains; the two steps before it keep the run waiting where it is launched. */
  private static final String TEMPLATE =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: %s
      params:
        base: {type: checkpoint}
        corpus: {type: dataset}
        heldout: {type: dataset}
      steps:
        - id: gate
          kind: approval
        - id: second-gate
          kind: approval
          needs: [gate]
        - id: tune
          kind: sft
          needs: [second-gate]
          model: ${{ params.base }}
          data: ${{ params.corpus }}
          eval_data: ${{ params.heldout }}
          config: {max_steps: 1}
      """;

  private String template;
  private String model;

  @BeforeEach
  void storeAModelOf32000Tokens() throws Exception {
    Api.signIn();
    template = "vocab-fit-" + UUID.randomUUID().toString().substring(0, 8);
    Api.createTemplate(TEMPLATE.formatted(template));
    model = checkpoint(32_000);
  }

  private String checkpoint(int vocabSize) throws Exception {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put(
        "config.json",
        ("{\"model_type\": \"llama\", \"vocab_size\": "
                + vocabSize
                + ", \"hidden_size\": 64, \"fixture\": \""
                + UUID.randomUUID()
                + "\"}")
            .getBytes(StandardCharsets.UTF_8));
    files.put("model.safetensors", new byte[16]);
    return StoredArtifactFixture.store(config.home(), "checkpoint", null, "default", files);
  }

  /** A tokens artifact in the shared layout (docs of the tokenize step), hand-made. */
  private String tokens(int vocabSize) throws Exception {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put(
        "tokens.json",
        ("""
            {"format": "trainyard-tokens/1", "dtype": "%s", "vocab_size": %d,
             "tokenizer_sha256": "%s", "bos_id": 1, "eos_id": 2, "pad_id": 0, "records": "text",
             "source": {"dataset": "%s", "subset": null},
             "splits": {"train": {"documents": 1, "tokens": 4, "shards": [
               {"tokens": "train/shard-00000.tokens", "mask": "train/shard-00000.mask",
                "docs": "train/shard-00000.docs", "documents": 1, "tokens": 4}]}}}
            """
                .formatted(
                    vocabSize <= 65536 ? "uint16" : "uint32",
                    vocabSize,
                    "a".repeat(64),
                    UUID.randomUUID()))
            .getBytes(StandardCharsets.UTF_8));
    files.put("tokenizer.json", "{\"model\": {\"type\": \"BPE\"}}".getBytes());
    files.put("train/shard-00000.tokens", new byte[8]);
    files.put("train/shard-00000.mask", new byte[] {1, 1, 1, 1});
    files.put("train/shard-00000.docs", new byte[16]);
    return StoredArtifactFixture.store(config.home(), "tokens", null, "default", files);
  }

  private io.restassured.response.Response launch(String corpus, String heldout) {
    return given()
        .contentType(ContentType.JSON)
        .body(
            Map.of(
                "template",
                template,
                "params",
                Map.of("base", model, "corpus", corpus, "heldout", heldout)))
        .post("/api/v1/runs");
  }

  private int runsOfTemplate() {
    return given()
        .queryParam("template", template)
        .get("/api/v1/runs")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("items")
        .size();
  }

  @Test
  void tokensOfALargerVocabularyThanTheModelsAreRefusedWithTheStepsFieldsAndNothingIsCreated()
      throws Exception {
    String qwenSized = tokens(151_669);
    String fits = tokens(32_000);

    io.restassured.response.Response refused = launch(qwenSized, qwenSized);

    assertThat(refused.statusCode()).isEqualTo(422);
    assertThat(refused.contentType()).startsWith("application/problem+json");
    JsonPath problem = refused.jsonPath();
    assertThat(problem.getList("errors.path", String.class))
        .containsExactlyInAnyOrder("steps[2].data", "steps[2].eval_data");
    assertThat(problem.getString("errors[0].message"))
        .contains("151669")
        .contains("32000")
        .contains(qwenSized.substring(0, 12))
        .contains(model.substring(0, 12));
    assertThat(runsOfTemplate()).isZero();

    // Only the field that does not fit is named.
    JsonPath one = launch(fits, qwenSized).then().statusCode(422).extract().jsonPath();
    assertThat(one.getList("errors.path", String.class)).containsExactly("steps[2].eval_data");
    assertThat(runsOfTemplate()).isZero();
  }

  @Test
  void tokensTheModelsVocabularyCoversLaunch() throws Exception {
    String fits = tokens(32_000);
    String smaller = tokens(256);
    String runId = launch(fits, smaller).then().statusCode(201).extract().path("id");
    assertThat(runsOfTemplate()).isEqualTo(1);
    given().post("/api/v1/runs/" + runId + "/cancel").then().statusCode(202);
  }

  @Test
  void aPlainDatasetHasNoVocabularyAndIsNotChecked() throws Exception {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("trainyard-vocab", ".jsonl");
    java.nio.file.Files.writeString(file, "{\"text\": \"" + UUID.randomUUID() + "\"}\n");
    String dataset =
        given()
            .contentType(ContentType.JSON)
            .body(Map.of("name", "vocab-" + UUID.randomUUID(), "uri", file.toUri().toString()))
            .post("/api/v1/datasets")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    String runId = launch(dataset, dataset).then().statusCode(201).extract().path("id");
    given().post("/api/v1/runs/" + runId + "/cancel").then().statusCode(202);
    assertThat(runsOfTemplate()).isEqualTo(1);
  }
}
