package dev.trainyard.backend.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every endpoint × every kind of caller × own and other team, with real tokens from the real
 * Keycloak server: the expected HTTP status of each cell.
 */
@QuarkusTest
@TestProfile(KeycloakProfile.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class AuthorizationMatrixTest {
  static final List<String> CALLERS =
      List.of("anonymous", "viewer-a", "operator-a", "operator-b", "admin", "worker-1", "ci");
  static final Map<String, String> TOKENS = new LinkedHashMap<>();

  @jakarta.inject.Inject dev.trainyard.backend.config.TrainyardConfig config;

  @BeforeAll
  static void tokens() {
    KeycloakProfile.requireRunning();
    for (String user : List.of("viewer-a", "operator-a", "operator-b", "admin", "worker-1")) {
      TOKENS.put(user, KeycloakProfile.passwordToken(user));
    }
    TOKENS.put(
        "ci",
        given()
            .formParam("grant_type", "client_credentials")
            .formParam("client_id", "trainyard-ci")
            .formParam("client_secret", "ci-secret-for-local-tests-only")
            .post(KeycloakProfile.realm() + "/protocol/openid-connect/token")
            .then()
            .statusCode(200)
            .extract()
            .path("access_token"));
  }

  static RequestSpecification as(String caller) {
    RestAssured.requestSpecification = null;
    RequestSpecification request = given();
    return caller.equals("anonymous")
        ? request
        : request.header("Authorization", "Bearer " + TOKENS.get(caller));
  }

  record Cell(String endpoint, String caller, int expected, int actual) {}

  @Test
  void everyEndpointAnswersEachCallerAsTheRolesAndTeamsAllow() throws Exception {
    // Fixtures, made by the admin: a template and a waiting run in each team, a cancelled run, a
    // dataset.
    for (String team : List.of("team-a", "team-b")) {
      as("admin")
          .contentType("application/yaml")
          .queryParam("team", team)
          .body(gatedSpec("gated-" + team).getBytes())
          .post("/api/v1/templates")
          .then()
          .statusCode(201);
    }
    String runA = launch("admin", "gated-team-a");
    String runB = launch("admin", "gated-team-b");
    String cancelledA = launch("admin", "gated-team-a");
    as("admin").post("/api/v1/runs/" + cancelledA + "/cancel").then().statusCode(202);
    awaitStatus(runA, "RUNNING");
    awaitStatus(cancelledA, "CANCELLED");
    Path data = Files.createTempFile("matrix", ".jsonl");
    Files.writeString(data, "{\"text\": \"team a data\"}\n");
    String sha =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(data)));
    as("admin")
        .contentType(ContentType.JSON)
        .body(
            Map.of(
                "name", "data-a", "uri", data.toUri().toString(), "sha256", sha, "team", "team-a"))
        .post("/api/v1/datasets")
        .then()
        .statusCode(201);
    Path model =
        dev.trainyard.backend.api.HfFolders.single(
            Files.createTempDirectory("matrix-model").resolve("model"), "llama", "BF16", 1);
    String modelUri = dev.trainyard.backend.api.HfFolders.uri(model);
    byte[] modelTar = dev.trainyard.backend.api.HfFolders.tar(model, null);
    String importedA =
        as("admin")
            .contentType(ContentType.JSON)
            .body(Map.of("uri", modelUri, "team", "team-a"))
            .post("/api/v1/checkpoints/import")
            .then()
            .statusCode(201)
            .extract()
            .path("id");

    //                          anonymous viewer-a operator-a operator-b admin worker-1 ci
    Map<String, int[]> expected = new LinkedHashMap<>();
    Map<String, Function<String, Response>> calls = new LinkedHashMap<>();
    add(
        calls,
        expected,
        "GET /runs",
        c -> as(c).get("/api/v1/runs"),
        401,
        200,
        200,
        200,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "GET /runs/{team-a run}",
        c -> as(c).get("/api/v1/runs/" + runA),
        401,
        200,
        200,
        404,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "GET /runs/{team-a run}/openlineage",
        c -> as(c).get("/api/v1/runs/" + runA + "/openlineage"),
        401,
        200,
        200,
        404,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "GET /runs/{team-b run}",
        c -> as(c).get("/api/v1/runs/" + runB),
        401,
        404,
        404,
        200,
        200,
        403,
        404);
    add(
        calls,
        expected,
        "POST /runs (team-a template)",
        c ->
            as(c)
                .contentType(ContentType.JSON)
                .body(Map.of("template", "gated-team-a"))
                .post("/api/v1/runs"),
        401,
        403,
        201,
        422,
        201,
        403,
        201);
    add(
        calls,
        expected,
        "POST /runs/{cancelled team-a run}/cancel",
        c -> as(c).post("/api/v1/runs/" + cancelledA + "/cancel"),
        401,
        403,
        409,
        404,
        409,
        403,
        409);
    add(
        calls,
        expected,
        "POST /runs/{team-a run}/steps/second/approve (not waiting)",
        c -> as(c).post("/api/v1/runs/" + runA + "/steps/second/approve"),
        401,
        403,
        409,
        404,
        409,
        403,
        409);
    add(
        calls,
        expected,
        "POST /runs/{team-a run}/retry (running)",
        c -> as(c).post("/api/v1/runs/" + runA + "/retry"),
        401,
        403,
        409,
        404,
        409,
        403,
        409);
    add(
        calls,
        expected,
        "POST /templates (team-a)",
        c ->
            as(c)
                .contentType("application/yaml")
                .queryParam("team", "team-a")
                .body(gatedSpec("t-" + c.replace("-", "")).getBytes())
                .post("/api/v1/templates"),
        401,
        403,
        201,
        403,
        201,
        403,
        201);
    add(
        calls,
        expected,
        "POST /templates/validate",
        c ->
            as(c)
                .contentType("application/yaml")
                .body(gatedSpec("v-" + c.replace("-", "")).getBytes())
                .post("/api/v1/templates/validate"),
        401,
        403,
        200,
        200,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "POST /templates/validate (unknown kind)",
        c ->
            as(c)
                .contentType("application/yaml")
                .body(
                    gatedSpec("w-" + c.replace("-", ""))
                        .replace("kind: approval", "kind: aproval")
                        .getBytes())
                .post("/api/v1/templates/validate"),
        401,
        403,
        200,
        200,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "GET /step-kinds",
        c -> as(c).get("/api/v1/step-kinds"),
        401,
        200,
        200,
        200,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "GET /templates/{team-b template}",
        c -> as(c).get("/api/v1/templates/gated-team-b"),
        401,
        404,
        404,
        200,
        200,
        403,
        404);
    add(
        calls,
        expected,
        "POST /templates/{name}/versions/1/approve",
        c -> as(c).post("/api/v1/templates/gated-team-a/versions/1/approve"),
        401,
        403,
        403,
        403,
        200,
        403,
        403);
    add(
        calls,
        expected,
        "GET /artifacts/{team-a dataset}",
        c -> as(c).get("/api/v1/artifacts/data-a"),
        401,
        200,
        200,
        404,
        200,
        403,
        200);
    String storedA =
        dev.trainyard.backend.api.StoredArtifactFixture.store(
            config.home(),
            "checkpoint",
            null,
            "team-a",
            Map.of("config.json", "{\"matrix\": \"team-a\"}".getBytes()));
    add(
        calls,
        expected,
        "GET /artifacts/{team-a artifact}/files/{path}",
        c -> as(c).get("/api/v1/artifacts/" + storedA + "/files/config.json"),
        401,
        200,
        200,
        404,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "GET /artifacts/{team-a artifact}/archive",
        c -> as(c).get("/api/v1/artifacts/" + storedA + "/archive"),
        401,
        200,
        200,
        404,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "POST /datasets (team-a, existing content)",
        c ->
            as(c)
                .contentType(ContentType.JSON)
                .body(
                    Map.of(
                        "name",
                        "data-a",
                        "uri",
                        data.toUri().toString(),
                        "sha256",
                        sha,
                        "team",
                        "team-a"))
                .post("/api/v1/datasets"),
        401,
        403,
        201,
        403,
        201,
        403,
        201);
    add(
        calls,
        expected,
        "POST /checkpoints/import (team-a, existing content)",
        c ->
            as(c)
                .contentType(ContentType.JSON)
                .body(Map.of("uri", modelUri, "team", "team-a"))
                .post("/api/v1/checkpoints/import"),
        401,
        403,
        200,
        403,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "POST /checkpoints/import/upload (team-a, existing content)",
        c ->
            as(c)
                .contentType("application/x-tar")
                .queryParam("team", "team-a")
                .body(modelTar)
                .post("/api/v1/checkpoints/import/upload"),
        401,
        403,
        200,
        403,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "GET /artifacts/{imported team-a checkpoint}",
        c -> as(c).get("/api/v1/artifacts/" + importedA),
        401,
        200,
        200,
        404,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "PUT /aliases/golden",
        c ->
            as(c)
                .contentType(ContentType.JSON)
                .body(Map.of("artifact", "data-a"))
                .put("/api/v1/aliases/golden"),
        401,
        403,
        403,
        403,
        200,
        403,
        403);
    add(
        calls,
        expected,
        "PUT /templates/{team-a template}/retention",
        c ->
            as(c)
                .contentType(ContentType.JSON)
                .body(Map.of("keepLastIntermediate", 3))
                .put("/api/v1/templates/gated-team-a/retention"),
        401,
        403,
        403,
        403,
        200,
        403,
        403);
    add(
        calls,
        expected,
        "GET /templates/{team-a template}/retention/plan",
        c -> as(c).get("/api/v1/templates/gated-team-a/retention/plan"),
        401,
        200,
        200,
        404,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "POST /templates/{team-a template}/retention/apply",
        c ->
            as(c)
                .contentType(ContentType.JSON)
                .body(Map.of())
                .post("/api/v1/templates/gated-team-a/retention/apply"),
        401,
        403,
        403,
        403,
        200,
        403,
        403);
    // A yearly schedule: it never ticks while the matrix runs.
    Map<String, Object> yearly = Map.of("cron", "0 3 1 1 *", "timeZone", "UTC");
    String scheduleA =
        as("admin")
            .contentType(ContentType.JSON)
            .body(yearly)
            .post("/api/v1/templates/gated-team-a/schedules")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    add(
        calls,
        expected,
        "GET /templates/{team-a template}/schedules",
        c -> as(c).get("/api/v1/templates/gated-team-a/schedules"),
        401,
        200,
        200,
        404,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "POST /templates/{team-a template}/schedules",
        c ->
            as(c)
                .contentType(ContentType.JSON)
                .body(yearly)
                .post("/api/v1/templates/gated-team-a/schedules"),
        401,
        403,
        201,
        404,
        201,
        403,
        201);
    add(
        calls,
        expected,
        "POST /templates/{team-a template}/schedules/{id}/pause",
        c -> as(c).post("/api/v1/templates/gated-team-a/schedules/" + scheduleA + "/pause"),
        401,
        403,
        200,
        404,
        200,
        403,
        200);
    add(
        calls,
        expected,
        "GET /audit",
        c -> as(c).get("/api/v1/audit"),
        401,
        403,
        403,
        403,
        200,
        403,
        403);
    add(
        calls,
        expected,
        "GET /audit/verify",
        c -> as(c).get("/api/v1/audit/verify"),
        401,
        403,
        403,
        403,
        200,
        403,
        403);

    List<Cell> wrong = new ArrayList<>();
    for (var entry : calls.entrySet()) {
      int[] want = expected.get(entry.getKey());
      for (int i = 0; i < CALLERS.size(); i++) {
        int got = entry.getValue().apply(CALLERS.get(i)).statusCode();
        if (got != want[i]) {
          wrong.add(new Cell(entry.getKey(), CALLERS.get(i), want[i], got));
        }
      }
    }
    assertThat(wrong).as("cells answering other than expected").isEmpty();

    List<String> visibleToB = as("operator-b").get("/api/v1/runs").jsonPath().getList("items.id");
    assertThat(visibleToB).contains(runB).doesNotContain(runA, cancelledA);
    // Filters and search narrow what a caller may see; they never widen it to another team.
    assertThat(
            as("operator-b")
                .queryParam("team", "team-a")
                .get("/api/v1/runs")
                .jsonPath()
                .getList("items"))
        .isEmpty();
    assertThat(
            as("operator-b").queryParam("q", runA).get("/api/v1/runs").jsonPath().getList("items"))
        .isEmpty();
    assertThat(
            as("admin")
                .queryParam("q", runA)
                .get("/api/v1/runs")
                .jsonPath()
                .getList("items.id", String.class))
        .containsExactly(runA);
    assertThat(
            as("operator-b")
                .queryParam("q", "data-a")
                .get("/api/v1/artifacts")
                .jsonPath()
                .getList("items"))
        .isEmpty();
  }

  /** Issue 11, Low: alias names and 409 answers never reveal another team's objects. */
  @Test
  void aliasesAndConflictsNeverDescribeAnotherTeamsObjects() throws Exception {
    String suffix = java.util.UUID.randomUUID().toString().substring(0, 8);
    Path data = Files.createTempFile("aliases", ".jsonl");
    Files.writeString(data, "{\"text\": \"team a only " + suffix + "\"}\n");
    String dataset = "secret-a-" + suffix;
    as("admin")
        .contentType(ContentType.JSON)
        .body(Map.of("name", dataset, "uri", data.toUri().toString(), "team", "team-a"))
        .post("/api/v1/datasets")
        .then()
        .statusCode(201);
    String alias = "prod-a-" + suffix;
    as("admin")
        .contentType(ContentType.JSON)
        .body(Map.of("artifact", dataset))
        .put("/api/v1/aliases/" + alias)
        .then()
        .statusCode(200);

    as("operator-a").get("/api/v1/aliases/" + alias).then().statusCode(200);
    as("operator-b").get("/api/v1/aliases/" + alias).then().statusCode(404);
    as("operator-b").get("/api/v1/aliases/" + alias + "/history").then().statusCode(404);
    assertThat(as("operator-b").get("/api/v1/aliases").jsonPath().getList("items.name"))
        .doesNotContain(alias);
    assertThat(as("viewer-a").get("/api/v1/aliases").jsonPath().getList("items.name"))
        .contains(alias);

    String sameContent =
        as("operator-b")
            .contentType(ContentType.JSON)
            .body(
                Map.of(
                    "name", "mine-b-" + suffix, "uri", data.toUri().toString(), "team", "team-b"))
            .post("/api/v1/datasets")
            .then()
            .statusCode(409)
            .extract()
            .asString();
    assertThat(sameContent).doesNotContain(dataset).doesNotContain("team-a");

    String template = "named-a-" + suffix;
    as("admin")
        .contentType("application/yaml")
        .queryParam("team", "team-a")
        .body(gatedSpec(template).getBytes())
        .post("/api/v1/templates")
        .then()
        .statusCode(201);
    String taken =
        as("operator-b")
            .contentType("application/yaml")
            .queryParam("team", "team-b")
            .body(gatedSpec(template).getBytes())
            .post("/api/v1/templates")
            .then()
            .statusCode(409)
            .extract()
            .asString();
    assertThat(taken).doesNotContain("/versions").doesNotContain("team-a");
  }

  @Test
  void anotherTeamsArtifactFilesAndArchiveAnswerExactlyAsAMissingArtifactDoes() throws Exception {
    String secret = "team a weights " + java.util.UUID.randomUUID();
    String id =
        dev.trainyard.backend.api.StoredArtifactFixture.store(
            config.home(), "checkpoint", null, "team-a", Map.of("model.bin", secret.getBytes()));
    String missing = "e".repeat(64);
    for (String suffix : List.of("/files/model.bin", "/archive")) {
      as("operator-a").get("/api/v1/artifacts/" + id + suffix).then().statusCode(200);
      Response other = as("operator-b").get("/api/v1/artifacts/" + id + suffix);
      Response none = as("operator-b").get("/api/v1/artifacts/" + missing + suffix);
      assertThat(other.statusCode()).as(suffix).isEqualTo(404).isEqualTo(none.statusCode());
      assertThat(other.asString()).doesNotContain(secret);
      assertThat(other.asString().replace(id, "<ref>"))
          .isEqualTo(none.asString().replace(missing, "<ref>"));
      assertThat(other.getHeaders().asList().stream().map(h -> h.getName()).sorted().toList())
          .isEqualTo(none.getHeaders().asList().stream().map(h -> h.getName()).sorted().toList());
    }
    assertThat(as("operator-a").get("/api/v1/artifacts/" + id + "/files/model.bin").asString())
        .isEqualTo(secret);
  }

  @Test
  void aCommandTemplateFromAnOperatorNeedsAnAdminsApprovalBeforeItCanBeLaunched() {
    String spec =
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: operator-script
        steps:
          - id: run
            kind: command
            run: "echo hi > $TRAINYARD_OUTPUT/x"
        """;
    as("operator-a")
        .contentType("application/yaml")
        .queryParam("team", "team-a")
        .body(spec.getBytes())
        .post("/api/v1/templates")
        .then()
        .statusCode(201)
        .body("approved", org.hamcrest.Matchers.equalTo(false));
    as("operator-a")
        .contentType(ContentType.JSON)
        .body(Map.of("template", "operator-script"))
        .post("/api/v1/runs")
        .then()
        .statusCode(403);
    as("admin")
        .post("/api/v1/templates/operator-script/versions/1/approve")
        .then()
        .statusCode(200)
        .body("approved", org.hamcrest.Matchers.equalTo(true));
    String runId =
        as("operator-a")
            .contentType(ContentType.JSON)
            .body(Map.of("template", "operator-script"))
            .post("/api/v1/runs")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    awaitStatus(runId, "SUCCEEDED");
  }

  @Test
  void aCookieSessionChangeWithoutTheCsrfHeaderIsRefusedAndDoesNothing() {
    long before = as("admin").get("/api/v1/runs").jsonPath().getList("items").size();
    RestAssured.requestSpecification = null;
    given()
        .cookie("q_session", "stolen-session")
        .contentType(ContentType.JSON)
        .body(Map.of("template", "gated-team-a"))
        .post("/api/v1/runs")
        .then()
        .statusCode(403)
        .body("detail", org.hamcrest.Matchers.containsString("X-Trainyard-CSRF"));
    // A large session is split into chunk cookies; they are a session too.
    given()
        .cookie("q_session_chunk_1", "stolen-part")
        .cookie("q_session_chunk_2", "stolen-part")
        .contentType(ContentType.JSON)
        .body(Map.of("template", "gated-team-a"))
        .post("/api/v1/runs")
        .then()
        .statusCode(403)
        .body("detail", org.hamcrest.Matchers.containsString("X-Trainyard-CSRF"));
    assertThat(as("admin").get("/api/v1/runs").jsonPath().getList("items")).hasSize((int) before);
  }

  private static void add(
      Map<String, Function<String, Response>> calls,
      Map<String, int[]> expected,
      String name,
      Function<String, Response> call,
      int... statuses) {
    calls.put(name, call);
    expected.put(name, statuses);
  }

  private static String launch(String caller, String template) {
    return as(caller)
        .contentType(ContentType.JSON)
        .body(Map.of("template", template))
        .post("/api/v1/runs")
        .then()
        .statusCode(201)
        .extract()
        .path("id");
  }

  private static void awaitStatus(String runId, String status) {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                status.equals(
                    as("admin").get("/api/v1/runs/" + runId).jsonPath().getString("status")));
  }

  private static String gatedSpec(String name) {
    return """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        steps:
          - id: first
            kind: approval
          - id: second
            kind: approval
            needs: [first]
        """
        .formatted(name);
  }
}
