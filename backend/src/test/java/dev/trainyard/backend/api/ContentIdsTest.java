package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.catalog.CatalogLedger;
import dev.trainyard.worker.store.Manifests;
import dev.trainyard.workflow.ManifestEntry;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepResult;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Issue 11 M1: artifact ids are computed from content, never supplied by a client. */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class ContentIdsTest {
  @Inject CatalogLedger ledger;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /**
   * The id {@code hello}'s greet step will give its output for this greeting: predictable by
   * anyone.
   */
  private static String predictedGreetId(String greeting) throws Exception {
    byte[] content = (greeting + "\n").getBytes(StandardCharsets.UTF_8);
    return Manifests.idOf(
        List.of(new ManifestEntry("greeting.txt", content.length, sha256(content))));
  }

  @Test
  void squattingTheIdOfHellosOutputFailsAndTheOutputRowIsTheRealOne() throws Exception {
    String greeting = "squat " + UUID.randomUUID();
    String predicted = predictedGreetId(greeting);
    // The probe's attempt: a remote URI nobody can check and a client-chosen sha256 equal to the
    // predicted id.
    given()
        .contentType(ContentType.JSON)
        .body(
            Map.of(
                "name",
                "squat-" + predicted.substring(0, 8),
                "uri",
                "s3://b/squat",
                "sha256",
                predicted))
        .post("/api/v1/datasets")
        .then()
        .statusCode(422)
        .body("errors[0].path", equalTo("uri"))
        .body("errors[0].message", containsString("s3"));
    given().get("/api/v1/artifacts/" + predicted).then().statusCode(404);

    String runId = Api.launch("hello", Map.of("greeting", greeting)).getString("id");
    JsonPath run = Api.awaitStatus(runId, PipelineRunsTest.TERMINAL, Duration.ofSeconds(90));
    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(run.getString("steps.find { it.id == 'greet' }.outputs.output.artifactId"))
        .isEqualTo(predicted);
    JsonPath artifact =
        given().get("/api/v1/artifacts/" + predicted).then().statusCode(200).extract().jsonPath();
    assertThat(artifact.getString("type")).isNotEqualTo("dataset");
    assertThat(artifact.getString("producedBy.runId")).isEqualTo(runId);
    assertThat(artifact.getList("files.path")).containsExactly("greeting.txt");
  }

  @Test
  void theServerHashesDatasetContentItselfAndAClaimedHashIsOptional() throws Exception {
    Path file = Files.createTempFile("trainyard-computed", ".jsonl");
    Files.writeString(file, "{\"text\": \"" + UUID.randomUUID() + "\"}\n");
    byte[] bytes = Files.readAllBytes(file);
    String actual = sha256(bytes);
    // The id is the manifest's hash, as for step outputs: computed from the stored copy.
    String manifestId =
        Manifests.idOf(
            List.of(new ManifestEntry(file.getFileName().toString(), bytes.length, actual)));
    given()
        .contentType(ContentType.JSON)
        .body(
            Map.of(
                "name",
                "computed-" + actual.substring(0, 8),
                "uri",
                file.toUri().toString(),
                "sha256",
                actual))
        .post("/api/v1/datasets")
        .then()
        .statusCode(201)
        .body("id", equalTo(manifestId))
        .body("files[0].sha256", equalTo(actual));
    // A wrong claim is refused without revealing the real hash.
    Path other = Files.createTempFile("trainyard-computed", ".jsonl");
    Files.writeString(other, "{\"text\": \"" + UUID.randomUUID() + "\"}\n");
    String otherSha = sha256(Files.readAllBytes(other));
    given()
        .contentType(ContentType.JSON)
        .body(
            Map.of(
                "name",
                "claimed-" + otherSha.substring(0, 8),
                "uri",
                other.toUri().toString(),
                "sha256",
                "0".repeat(64)))
        .post("/api/v1/datasets")
        .then()
        .statusCode(422)
        .body("errors[0].path", equalTo("sha256"))
        .body("errors[0].message", not(containsString(otherSha)));
  }

  @Test
  void remoteAndLooseUrisAreRefusedWithTheirPath() throws Exception {
    Path file = Files.createTempFile("trainyard-uri", ".jsonl");
    Files.writeString(file, "{\"text\": \"x\"}\n");
    String inside = file.toAbsolutePath().toString();
    for (String uri :
        List.of(
            "s3://b/../../etc/passwd",
            "file://localhost" + inside,
            "file://evil" + inside,
            "file:etc/passwd",
            "file://" + inside + "?x=1",
            "file://" + inside + "#f",
            "file:///tmp/../" + inside,
            "file:///tmp/./x",
            "file:///tmp/%00x",
            "http://example.com/x",
            "not a uri",
            "")) {
      given()
          .contentType(ContentType.JSON)
          .body(Map.of("name", "loose", "uri", uri))
          .post("/api/v1/datasets")
          .then()
          .statusCode(422)
          .body("errors[0].path", equalTo("uri"));
    }
    given().get("/api/v1/artifacts/loose").then().statusCode(404);
  }

  @Test
  void aMissingFileAndAFileOutsideTheRootsGetTheSameAnswer() throws Exception {
    String outside =
        given()
            .contentType(ContentType.JSON)
            .body(Map.of("name", "oracle-a", "uri", "file:///etc/hostname"))
            .post("/api/v1/datasets")
            .then()
            .statusCode(422)
            .extract()
            .path("errors[0].message");
    String missing =
        given()
            .contentType(ContentType.JSON)
            .body(
                Map.of("name", "oracle-b", "uri", "file:///etc/no-such-file-" + UUID.randomUUID()))
            .post("/api/v1/datasets")
            .then()
            .statusCode(422)
            .extract()
            .path("errors[0].message");
    // A directory is a dataset too, but not one outside the roots.
    String directory =
        given()
            .contentType(ContentType.JSON)
            .body(Map.of("name", "oracle-c", "uri", "file:///etc"))
            .post("/api/v1/datasets")
            .then()
            .statusCode(422)
            .extract()
            .path("errors[0].message");
    assertThat(outside).isEqualTo(missing).isEqualTo(directory).doesNotContain("/etc");
  }

  @Test
  void aStepWritingExactlyTheFilesOfARegisteredDatasetSharesItsIdAndSucceeds() throws Exception {
    String text = "the same bytes " + UUID.randomUUID();
    Path dir = Files.createTempDirectory("trainyard-same");
    Files.writeString(dir.resolve("same.txt"), text + "\n");
    String registered =
        given()
            .contentType(ContentType.JSON)
            .body(
                Map.of(
                    "name",
                    "same-" + UUID.randomUUID().toString().substring(0, 8),
                    "uri",
                    dir.toUri().toString().replaceAll("/$", "")))
            .post("/api/v1/datasets")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    String template = "same-files-" + UUID.randomUUID().toString().substring(0, 8);
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        params:
          text: {type: string}
        steps:
          - id: write
            kind: command
            run: printf '%%s\\n' "$TRAINYARD_PARAM_TEXT" > "$TRAINYARD_OUTPUT/same.txt"
        """
            .formatted(template));
    String runId = Api.launch(template, Map.of("text", text)).getString("id");
    JsonPath run = Api.awaitStatus(runId, PipelineRunsTest.TERMINAL, Duration.ofSeconds(90));
    assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
    assertThat(run.getString("steps.find { it.id == 'write' }.outputs.output.artifactId"))
        .isEqualTo(registered);
  }

  @Test
  void aStepOutputWhoseIdIsHeldByOtherContentFailsTheWriteAndLeavesTheRowAlone() throws Exception {
    Path file = Files.createTempFile("trainyard-held", ".jsonl");
    Files.writeString(file, "{\"text\": \"" + UUID.randomUUID() + "\"}\n");
    String held =
        given()
            .contentType(ContentType.JSON)
            .body(
                Map.of(
                    "name",
                    "held-" + UUID.randomUUID().toString().substring(0, 8),
                    "uri",
                    file.toUri().toString()))
            .post("/api/v1/datasets")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    String runId =
        Api.launch("hello", Map.of("greeting", "held " + UUID.randomUUID())).getString("id");
    Api.awaitStatus(runId, PipelineRunsTest.TERMINAL, Duration.ofSeconds(90));
    var forged =
        new ProducedArtifact(
            held,
            "files",
            "file:///store/" + held,
            3,
            List.of(new ManifestEntry("other.txt", 3, "1".repeat(64))));
    Throwable refused =
        catchThrowable(
            () ->
                ledger.attemptSucceeded(
                    runId,
                    "greet",
                    1,
                    new StepResult(Map.of("output", forged), Map.of(), "w", List.of(), ""),
                    List.of()));
    assertThat(refused)
        .hasMessageContaining("already in the catalog with other content")
        .isInstanceOfSatisfying(
            io.temporal.failure.ApplicationFailure.class,
            failure -> assertThat(failure.isNonRetryable()).as("retrying cannot help").isTrue());
    JsonPath artifact =
        given().get("/api/v1/artifacts/" + held).then().statusCode(200).extract().jsonPath();
    assertThat(artifact.getString("type")).isEqualTo("dataset");
    assertThat(artifact.getList("files.path")).hasSize(1).doesNotContain("other.txt");
    assertThat(artifact.getString("producedBy")).isNull();
  }
}
