package dev.trainyard.backend.cards;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real run (registered datasets, pretrain, continual pretrain from it, evaluate, promote) gets a
 * model card from its lineage when the promote step moves the alias, stored beside the checkpoint
 * and shipped in its tar.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class ModelCardsTest {
  static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  private static void register(String name, Path dir) {
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("name", name, "uri", dir.toUri().toString().replaceAll("/$", "")))
        .post("/api/v1/datasets")
        .then()
        .statusCode(201);
  }

  @Test
  void promotingACheckpointStoresACardFromItsLineageAndItsTarCarriesItWhileItsBytesStayTheSame()
      throws Exception {
    String n = Long.toString(System.nanoTime(), 36);
    Path corpus = Files.createTempDirectory("card-corpus");
    Files.writeString(corpus.resolve("train.txt"), "12+35=47\n".repeat(200));
    Path evalset = Files.createTempDirectory("card-eval");
    Files.writeString(
        evalset.resolve("qa.jsonl"), "{\"question\": \"12+35=\", \"answer\": \"47\"}\n");
    register("card-corpus-" + n, corpus);
    Files.writeString(corpus.resolve("train.txt"), "21+34=55\n".repeat(200));
    register("card-corpus-" + n, corpus); // version 2: the card must name the one the run read
    register("card-eval-" + n, evalset);
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: card-%s
        params:
          corpus: {type: dataset}
          evalset: {type: dataset}
        steps:
          - id: pre
            kind: pretrain
            model: {preset: tiny, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1}
            data: ${{ params.corpus }}
            config: {max_steps: 2, batch_size: 2, seq_len: 16}
          - id: cpt
            kind: continual-pretrain
            model: ${{ steps.pre.outputs.model }}
            data: ${{ params.corpus }}
            config: {max_steps: 2, batch_size: 2, seq_len: 16}
          - id: eval
            kind: evaluate
            model: ${{ steps.cpt.outputs.model }}
            data: ${{ params.evalset }}
            tasks: [qa]
            config: {max_new_tokens: 2}
          - id: promote
            kind: promote
            model: ${{ steps.cpt.outputs.model }}
            report: ${{ steps.eval.outputs.report }}
            alias: card-%s
        """
            .formatted(n, n));
    String runId =
        Api.launch(
                "card-" + n,
                Map.of("corpus", "card-corpus-" + n + ":v1", "evalset", "card-eval-" + n))
            .getString("id");
    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(300));
    assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
    String pre = run.getString("steps.find { it.id == 'pre' }.outputs.model.artifactId");
    String model = run.getString("steps.find { it.id == 'cpt' }.outputs.model.artifactId");
    JsonPath before = given().get("/api/v1/artifacts/" + model).then().extract().jsonPath();

    // The promote step made the card: GET answers the stored one.
    JsonPath card =
        given()
            .get("/api/v1/artifacts/card-" + n + "/model-card")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(card.getString("modelId")).isEqualTo(model);
    assertThat(card.getString("createdBy")).isEqualTo("local");
    String text = card.getString("text");
    assertThat(text).startsWith("---\n");
    JsonNode meta = new YAMLMapper().readTree(text.substring(4, text.indexOf("\n---\n", 4)));
    assertThat(meta.get("datasets").toString())
        .contains("card-corpus-" + n + ":v1")
        .doesNotContain("card-corpus-" + n + ":v2");
    assertThat(meta.get("base_model").asText()).isEqualTo(pre.substring(0, 12));
    JsonNode result = meta.get("model-index").get(0).get("results").get(0);
    assertThat(result.get("dataset").get("name").asText()).isEqualTo("card-eval-" + n + ":v1");
    assertThat(result.get("task").get("type").asText()).isEqualTo("text-generation");
    List<String> metrics = new ArrayList<>();
    result.get("metrics").forEach(m -> metrics.add(m.get("name").asText()));
    assertThat(metrics).anyMatch(m -> m.endsWith("accuracy"));
    result
        .get("metrics")
        .forEach(m -> assertThat(m.get("value").isNumber()).as(m.toString()).isTrue());
    JsonNode trainyard = meta.get("trainyard");
    assertThat(trainyard.get("checkpoint").asText()).isEqualTo(model);
    assertThat(trainyard.get("run").get("id").asText()).isEqualTo(runId);
    assertThat(trainyard.get("run").get("template").asText()).isEqualTo("card-" + n);
    assertThat(trainyard.get("run").get("template_version").asInt()).isEqualTo(1);
    assertThat(trainyard.get("run").get("step").asText()).isEqualTo("cpt");
    assertThat(trainyard.get("run").get("launched_by").asText()).isEqualTo("local");
    assertThat(trainyard.get("datasets").get(0).get("version").asInt()).isEqualTo(1);
    assertThat(trainyard.get("parents").get(0).get("id").asText()).isEqualTo(pre);

    // The card is its own artifact, downstream of the checkpoint in lineage.
    String cardId = card.getString("artifactId");
    assertThat(cardId).isNotEqualTo(model);
    given()
        .get("/api/v1/artifacts/" + cardId)
        .then()
        .statusCode(200)
        .body("type", org.hamcrest.Matchers.equalTo("model-card"));
    JsonPath descendants =
        given()
            .queryParam("direction", "descendants")
            .get("/api/v1/artifacts/" + model + "/lineage")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(descendants.getList("edges.role", String.class)).contains("model-card");
    assertThat(descendants.getList("edges.to", String.class)).contains("artifact:" + cardId);

    // The same lineage makes the same card; the checkpoint's id and files are untouched.
    given()
        .post("/api/v1/artifacts/" + model + "/model-card")
        .then()
        .statusCode(201)
        .body("artifactId", org.hamcrest.Matchers.equalTo(cardId));
    JsonPath after = given().get("/api/v1/artifacts/" + model).then().extract().jsonPath();
    assertThat(after.getString("id")).isEqualTo(model);
    assertThat(after.getList("files")).isEqualTo(before.getList("files"));
    assertThat(after.getList("files.path", String.class)).doesNotContain("README.md");

    // The tar: every manifest file with its recorded sha256, plus the card as README.md.
    byte[] tar =
        given()
            .get("/api/v1/artifacts/card-" + n + "/archive")
            .then()
            .statusCode(200)
            .header("X-Model-Card", cardId)
            .extract()
            .asByteArray();
    Map<String, String> hashes = new LinkedHashMap<>();
    String readme = null;
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        byte[] bytes = in.readAllBytes();
        hashes.put(
            e.getName(),
            HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
        if (e.getName().equals("README.md")) {
          readme = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        }
      }
    }
    assertThat(readme).isEqualTo(text);
    Map<String, String> manifest = new LinkedHashMap<>();
    for (Map<String, Object> f : after.<Map<String, Object>>getList("files")) {
      manifest.put((String) f.get("path"), (String) f.get("sha256"));
    }
    Map<String, String> checkpointEntries = new LinkedHashMap<>(hashes);
    checkpointEntries.remove("README.md");
    assertThat(checkpointEntries).isEqualTo(manifest);

    // A dataset gets no card: a 422 naming the path, not a 5xx.
    String dataset = given().get("/api/v1/artifacts/card-eval-" + n).then().extract().path("id");
    given()
        .post("/api/v1/artifacts/" + dataset + "/model-card")
        .then()
        .statusCode(422)
        .body(org.hamcrest.Matchers.containsString("\"ref\""));
    given().get("/api/v1/artifacts/" + pre + "/model-card").then().statusCode(404);
  }
}
