package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.backend.catalog.TemplateEntity;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class LocalModeSecurityTest {
  @Inject EntityManager em;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  @Test
  void theApiRefusesCallersWithoutTheLocalToken() {
    RestAssured.requestSpecification = null;
    given().get("/api/v1/runs").then().statusCode(401).contentType("application/problem+json");
    given().header("Authorization", "Bearer wrong").get("/api/v1/runs").then().statusCode(401);
    long before = RunEntity.count();
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("template", "hello"))
        .post("/api/v1/runs")
        .then()
        .statusCode(401);
    assertThat(RunEntity.count()).isEqualTo(before);
  }

  @Test
  void theDashboardLoadsWithoutATokenAndCarriesSecurityHeaders() {
    RestAssured.requestSpecification = null;
    given()
        .get("/")
        .then()
        .statusCode(200)
        .header("Content-Security-Policy", containsString("frame-ancestors 'none'"))
        .header("X-Content-Type-Options", "nosniff");
  }

  @Test
  void everyMutationIsAuditedWithWhoWhatAndABodyDigest() throws Exception {
    String body = "{\"template\":\"hello\",\"params\":{\"greeting\":\"audited\"}}";
    String runId =
        given()
            .header("X-Request-Id", "req-audit-1")
            .contentType(ContentType.JSON)
            .body(body)
            .post("/api/v1/runs")
            .then()
            .statusCode(201)
            .header("X-Request-Id", "req-audit-1")
            .extract()
            .path("id");

    JsonPath events =
        given()
            .queryParam("action", "POST /api/v1/runs")
            .queryParam("limit", 1000)
            .get("/api/v1/audit")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    Map<String, Object> event =
        events.<Map<String, Object>>getList("items").stream()
            .filter(e -> "req-audit-1".equals(e.get("requestId")))
            .findFirst()
            .orElseThrow();
    assertThat(event)
        .containsEntry("actor", "local")
        .containsEntry("action", "POST /api/v1/runs")
        .containsEntry("target", "/api/v1/runs")
        .containsEntry("status", 201)
        .containsEntry("teams", "default")
        .containsEntry("requestDigest", sha256(body));
    assertThat((String) event.get("roles")).contains("admin");
    given().get("/api/v1/audit/verify").then().statusCode(200).body("intact", equalTo(true));
    Api.awaitStatus(runId, PipelineRunsTest.TERMINAL, java.time.Duration.ofSeconds(60));
  }

  @Test
  void verificationPinpointsAuditRowsEditedOrDeletedInTheDatabase() throws Exception {
    for (int i = 0; i < 3; i++) {
      given()
          .contentType(ContentType.JSON)
          .body(Map.of("reason", "x"))
          .post("/api/v1/runs/no-such-run/cancel")
          .then()
          .statusCode(404);
    }
    @SuppressWarnings("unchecked")
    List<Number> ids =
        em.createNativeQuery("SELECT id FROM audit_event ORDER BY id DESC LIMIT 3").getResultList();
    long edited = ids.get(2).longValue();
    long deleted = ids.get(1).longValue();
    long after = ids.get(0).longValue();
    // The application's role may not touch audit rows at all; the owner of the table can.
    try (java.sql.Connection owner = PostgresTestResource.ownerConnection();
        java.sql.Statement sql = owner.createStatement()) {
      sql.execute("BEGIN");
      sql.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update");
      sql.executeUpdate("UPDATE audit_event SET actor = 'someone-else' WHERE id = " + edited);
      sql.executeUpdate(
          "CREATE TABLE audit_backup AS SELECT * FROM audit_event WHERE id = " + deleted);
      sql.executeUpdate("DELETE FROM audit_event WHERE id = " + deleted);
      sql.execute("COMMIT");
      try {
        JsonPath verification =
            given().get("/api/v1/audit/verify").then().statusCode(200).extract().jsonPath();
        assertThat(verification.getBoolean("intact")).isFalse();
        assertThat(verification.getList("problems.id", Long.class))
            .contains(edited, deleted, after);
        assertThat(verification.getList("problems.problem", String.class))
            .anyMatch(p -> p.contains("content was altered"))
            .anyMatch(p -> p.contains("missing"));
      } finally {
        sql.execute("BEGIN");
        sql.executeUpdate("UPDATE audit_event SET actor = 'local' WHERE id = " + edited);
        sql.executeUpdate("INSERT INTO audit_event SELECT * FROM audit_backup");
        sql.executeUpdate("DROP TABLE audit_backup");
        sql.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update");
        sql.execute("COMMIT");
      }
    }
    given().get("/api/v1/audit/verify").then().statusCode(200).body("intact", equalTo(true));
  }

  @Test
  void theApplicationCannotRewriteAuditRows() {
    Throwable refused =
        org.assertj.core.api.Assertions.catchThrowable(
            () ->
                QuarkusTransaction.requiringNew()
                    .run(() -> em.createNativeQuery("DELETE FROM audit_event").executeUpdate()));
    assertThat(refused).hasStackTraceContaining("permission denied for table audit_event");
  }

  @Test
  void aDuplicateJsonKeyAndAnUnknownRouteAreClientErrorsNot500s() {
    given()
        .contentType(ContentType.JSON)
        .body("{\"spec\": \"a\", \"spec\": \"b\"}")
        .post("/api/v1/templates")
        .then()
        .statusCode(400)
        .contentType("application/problem+json");
    given()
        .contentType(ContentType.JSON)
        .body("{}")
        .post("/api/v1/no-such-route")
        .then()
        .statusCode(404);
  }

  @Test
  void anOversizedBodyIsRefusedWith413AndCreatesNothing() {
    long templates = TemplateEntity.count();
    String huge = "x".repeat(3 * 1024 * 1024);
    given()
        .contentType("application/yaml")
        .body(huge.getBytes(StandardCharsets.UTF_8))
        .post("/api/v1/templates")
        .then()
        .statusCode(413)
        .body("detail", containsString("trainyard.http.max-body-size"));
    assertThat(TemplateEntity.count()).isEqualTo(templates);
  }

  @Test
  void aBodyOfUnknownLengthIsRefusedWith411OutsideTheUploadsAndCreatesNothing() throws Exception {
    long templates = TemplateEntity.count();
    // An InputStream publisher has no known length: the JDK client sends it chunked.
    byte[] yaml =
        "apiVersion: trainyard/v1\nkind: Pipeline\nname: chunked\nsteps: []\n"
            .getBytes(StandardCharsets.UTF_8);
    var request =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(
                    RestAssured.baseURI + ":" + RestAssured.port + "/api/v1/templates"))
            .header("Authorization", "Bearer " + Api.LOCAL_TOKEN)
            .header("Content-Type", "application/yaml")
            .POST(
                java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                    () -> new java.io.ByteArrayInputStream(yaml)))
            .build();
    var response =
        java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1)
            .build()
            .send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(411);
    assertThat(response.body()).contains("Content-Length");
    assertThat(TemplateEntity.count()).isEqualTo(templates);
  }

  @Test
  void aYamlAliasBombIsRefusedAndCreatesNothing() {
    StringBuilder bomb =
        new StringBuilder(
            "apiVersion: trainyard/v1\nkind: Pipeline\nname: bomb\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (int i = 1; i < 9; i++) {
      bomb.append("a").append(i).append(": &a").append(i).append(" [");
      for (int j = 0; j < 9; j++) {
        bomb.append(j == 0 ? "" : ", ").append("*a").append(i - 1);
      }
      bomb.append("]\n");
    }
    bomb.append("steps: []\n");
    given()
        .contentType("application/yaml")
        .body(bomb.toString().getBytes(StandardCharsets.UTF_8))
        .post("/api/v1/templates")
        .then()
        .statusCode(422);
    given().get("/api/v1/templates/bomb").then().statusCode(404);
  }

  @Test
  void aDatasetOutsideTheDatasetRootsIsRefused() throws Exception {
    Path outside = Path.of("/etc/hostname");
    String sha =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(outside)));
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("name", "escape", "uri", "file:///tmp/../etc/hostname", "sha256", sha))
        .post("/api/v1/datasets")
        .then()
        .statusCode(422)
        .body("errors[0].path", equalTo("uri"));
    given().get("/api/v1/artifacts/escape").then().statusCode(404);
  }

  @Test
  void aRegisteredDatasetWhoseHashDoesNotMatchItsContentIsRefused() throws Exception {
    Path file = Files.createTempFile("trainyard-data", ".jsonl");
    Files.writeString(file, "{\"text\": \"hello\"}\n");
    String good =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("name", "bad-hash", "uri", file.toUri().toString(), "sha256", "0".repeat(64)))
        .post("/api/v1/datasets")
        .then()
        .statusCode(422)
        .body("errors[0].path", equalTo("sha256"));
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("name", "good-data", "uri", file.toUri().toString(), "sha256", good))
        .post("/api/v1/datasets")
        .then()
        .statusCode(201)
        .body("files[0].sha256", equalTo(good))
        .body("format", equalTo("jsonl-text"));
  }

  private static String sha256(String text) throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
