package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.catalog.RunEntity;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class PipelineRunsTest {
  static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");

  @jakarta.inject.Inject jakarta.persistence.EntityManager em;

  @org.junit.jupiter.api.BeforeEach
  void signIn() {
    Api.signIn();
  }

  @Test
  void helloLaunchedThroughTheApiSucceedsWithHashedArtifactsAndLineage() throws Exception {
    JsonPath launched = Api.launch("hello", Map.of("greeting", "hi there"));
    String runId = launched.getString("id");
    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(60));

    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(run.getList("steps.id", String.class))
        .containsExactlyInAnyOrder("greet", "shard-0", "shard-1", "shard-2", "join");
    assertThat(run.getList("steps.status", String.class)).containsOnly("SUCCEEDED");
    List<List<Object>> attempts = run.getList("steps.attempts");
    assertThat(attempts).allSatisfy(a -> assertThat(a).hasSize(1));

    String joinOutput = run.getString("steps.find { it.id == 'join' }.outputs.output.artifactId");
    String greetOutput = run.getString("steps.find { it.id == 'greet' }.outputs.output.artifactId");
    JsonPath artifact =
        given().get("/api/v1/artifacts/" + joinOutput).then().statusCode(200).extract().jsonPath();
    assertThat(artifact.getList("files.path", String.class))
        .containsExactly("lines.txt", "report.txt");
    Path dir = Path.of(URI.create(artifact.getString("uri")));
    for (Map<String, Object> file : artifact.<Map<String, Object>>getList("files")) {
      byte[] bytes = Files.readAllBytes(dir.resolve((String) file.get("path")));
      assertThat(file.get("sha256")).isEqualTo(sha256(bytes));
    }
    assertThat(Files.readString(dir.resolve("report.txt"))).isEqualTo("HI THERE\n".repeat(3));
    String manifest =
        given()
            .get("/api/v1/artifacts/" + joinOutput + "/manifest")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertThat(sha256(manifest.getBytes())).isEqualTo(joinOutput);

    JsonPath ancestors =
        given()
            .queryParam("direction", "ancestors")
            .get("/api/v1/artifacts/" + joinOutput + "/lineage")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(ancestors.getList("nodes.id", String.class))
        .contains(
            "artifact:" + greetOutput,
            "step:" + runId + "/greet/1",
            "step:" + runId + "/shard-1/1",
            "step:" + runId + "/join/1");
    JsonPath descendants =
        given()
            .queryParam("direction", "descendants")
            .get("/api/v1/artifacts/" + greetOutput + "/lineage")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(descendants.getList("nodes.id", String.class)).contains("artifact:" + joinOutput);
    assertThat(descendants.getList("edges.role", String.class)).contains("input", "output:output");
  }

  @Test
  void theEventStreamSendsEachChangeOfARunAndEndsWhenItFinishes() {
    String runId = Api.launch("hello", Map.of("pause_seconds", 2)).getString("id");
    String stream =
        given()
            .accept("text/event-stream")
            .get("/api/v1/runs/" + runId + "/events")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    List<String> events = stream.lines().filter(l -> l.startsWith("data:")).toList();
    assertThat(events.size()).isGreaterThan(1);
    assertThat(events.get(events.size() - 1)).contains("\"status\":\"SUCCEEDED\"");
    assertThat(events.subList(0, events.size() - 1))
        .noneMatch(e -> e.contains("\"status\":\"SUCCEEDED\",\"createdAt"));
    given().get("/api/v1/runs/no-such-run/events").then().statusCode(404);
  }

  @Test
  void aStepAlreadyComputedWithTheSameInputsIsACacheHitRecordedInLineageUnlessItOptsOut() {
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: cached
        params:
          word: {type: string}
        steps:
          - id: make
            kind: command
            run: 'echo "$TRAINYARD_PARAM_WORD" > $TRAINYARD_OUTPUT/w.txt'
          - id: stamp
            kind: command
            cache: false
            inputs: {made: "${{ steps.make.outputs.output }}"}
            run: 'cat "$TRAINYARD_INPUT_MADE/w.txt" > $TRAINYARD_OUTPUT/w.txt'
        """);
    String first = Api.launch("cached", Map.of("word", "kiwi")).getString("id");
    assertThat(Api.awaitStatus(first, TERMINAL, Duration.ofSeconds(60)).getString("status"))
        .isEqualTo("SUCCEEDED");
    String second = Api.launch("cached", Map.of("word", "kiwi")).getString("id");
    JsonPath run = Api.awaitStatus(second, TERMINAL, Duration.ofSeconds(60));
    String other = Api.launch("cached", Map.of("word", "plum")).getString("id");
    JsonPath different = Api.awaitStatus(other, TERMINAL, Duration.ofSeconds(60));

    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(run.getString("steps.find { it.id == 'make' }.attempts[0].cacheHitOf"))
        .isEqualTo(first + "/make/1");
    assertThat(run.getString("steps.find { it.id == 'stamp' }.attempts[0].cacheHitOf")).isNull();
    assertThat(different.getString("steps.find { it.id == 'make' }.attempts[0].cacheHitOf"))
        .isNull();
    String made = run.getString("steps.find { it.id == 'make' }.outputs.output.artifactId");
    assertThat(made)
        .isEqualTo(
            Api.run(first).getString("steps.find { it.id == 'make' }.outputs.output.artifactId"));
    JsonPath lineage =
        given()
            .queryParam("direction", "ancestors")
            .get(
                "/api/v1/artifacts/"
                    + run.getString("steps.find { it.id == 'stamp' }.outputs.output.artifactId")
                    + "/lineage")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(lineage.getList("edges.findAll { it.role == 'cache-hit' }.to", String.class))
        .contains("step:" + second + "/make/1");
  }

  @Test
  void aParameterValueCannotInjectACommandIntoACommandStep() throws Exception {
    Path witness =
        Path.of(System.getProperty("java.io.tmpdir"), "trainyard-injected-" + System.nanoTime());
    // The probe's payload (issue 11, H3), plus breakouts from each kind of quoting that would leave
    // a witness.
    for (String greeting :
        List.of(
            "A$(echo SUBST-RAN)B`echo BT-RAN`\"; echo DQ-BREAKOUT",
            "x\"; touch "
                + witness
                + "; echo \"$(touch "
                + witness
                + ")'; touch "
                + witness
                + "; '`touch "
                + witness
                + "`")) {
      String runId = Api.launch("hello", Map.of("greeting", greeting)).getString("id");
      JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(60));
      assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
      String greet = run.getString("steps.find { it.id == 'greet' }.outputs.output.artifactId");
      Path dir =
          Path.of(
              URI.create(given().get("/api/v1/artifacts/" + greet).then().extract().path("uri")));
      assertThat(Files.readString(dir.resolve("greeting.txt"))).isEqualTo(greeting + "\n");
      String join = run.getString("steps.find { it.id == 'join' }.outputs.output.artifactId");
      Path report =
          Path.of(
              URI.create(given().get("/api/v1/artifacts/" + join).then().extract().path("uri")));
      assertThat(Files.readString(report.resolve("report.txt")))
          .isEqualTo((greeting.toUpperCase() + "\n").repeat(3));
    }
    assertThat(witness).doesNotExist();
  }

  @Test
  void aSpecThatWritesAStringParameterIntoACommandsRunIsRefusedWithItsPath() {
    String spec =
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: injectable
        params:
          msg: {type: string}
        steps:
          - id: say
            kind: command
            run: echo "${{ params.msg }}"
        """;
    given()
        .contentType("application/yaml")
        .body(spec.getBytes())
        .post("/api/v1/templates")
        .then()
        .statusCode(422)
        .contentType("application/problem+json")
        .body("errors.path", hasItems("steps[0].run"))
        .body(
            "errors.message",
            hasItems(org.hamcrest.Matchers.containsString("\"$TRAINYARD_PARAM_MSG\"")));
    given().get("/api/v1/templates/injectable").then().statusCode(404);
  }

  @Test
  void aStepThatReplacesItsLogAndMetricsByLinksNeverHasTheLinkedFilesServedOrRecorded()
      throws Exception {
    Path outside = Files.createTempFile("trainyard-outside-metrics", ".jsonl");
    Files.writeString(outside, "{\"step\": 1, \"stolen\": 42}\n");
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: snoop
        steps:
          - id: snoop
            kind: command
            cache: false
            run: |
              echo '{"step": 1, "loss": 0.5}' >> "$TRAINYARD_METRICS"
              echo written before the swap
              ln -sf /etc/passwd "$TRAINYARD_WORKDIR/step.log"
              ln -sf %s "$TRAINYARD_METRICS"
        """
            .formatted(outside));
    String runId = Api.launch("snoop", Map.of()).getString("id");
    assertThat(Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(60)).getString("status"))
        .isEqualTo("SUCCEEDED");

    String log =
        given()
            .get("/api/v1/runs/" + runId + "/steps/snoop/log")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertThat(log).doesNotContain("root:x:0:0");
    String logTail =
        (String)
            em.createNativeQuery("SELECT log_tail FROM step_attempt WHERE run_id = ?1")
                .setParameter(1, runId)
                .getSingleResult();
    assertThat(logTail).doesNotContain("root:x:0:0").contains("not read: it is a symbolic link");
    String metrics =
        given()
            .get("/api/v1/runs/" + runId + "/steps/snoop/metrics")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertThat(metrics).doesNotContain("stolen");
  }

  @Test
  void anInvalidSpecIsRefusedWithEveryProblemAndNothingIsCreated() {
    String spec =
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: broken
        steps:
          - id: a
            kind: trian
          - id: b
            kind: command
            run: "cat ${{ steps.nope.outputs.output }}"
          - id: b
            kind: command
            run: "true"
        """;
    given()
        .contentType("application/yaml")
        .body(spec.getBytes())
        .post("/api/v1/templates")
        .then()
        .statusCode(422)
        .contentType("application/problem+json")
        .body("errors.path", hasItems("steps[0].kind", "steps[1].run", "steps[2].id"));
    given().get("/api/v1/templates/broken").then().statusCode(404);
  }

  @Test
  void badParametersAreRefusedWithTheirPathsAndNoRunIsCreated() {
    long before = RunEntity.count();
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("template", "hello", "params", Map.of("pause_seconds", "x", "extra", 1)))
        .post("/api/v1/runs")
        .then()
        .statusCode(422)
        .contentType("application/problem+json")
        .body("errors.path", hasItems("params.pause_seconds", "params.extra"));
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("template", "nope", "params", Map.of()))
        .post("/api/v1/runs")
        .then()
        .statusCode(422)
        .body("errors[0].path", equalTo("template"));
    given()
        .contentType(ContentType.JSON)
        .body("{\"template\": [1,")
        .post("/api/v1/runs")
        .then()
        .statusCode(400)
        .contentType("application/problem+json");
    assertThat(RunEntity.count()).isEqualTo(before);
  }

  @Test
  void aCommandsFilesGivenAsACheckpointParameterAreRefusedAtLaunchWithThePath() {
    String runId = Api.launch("hello", Map.of()).getString("id");
    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(60));
    String files = run.getString("steps.find { it.id == 'join' }.outputs.output.artifactId");
    String spec =
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: typed-inputs
        params:
          base: {type: checkpoint}
        steps:
          - id: eval
            kind: evaluate
            model: ${{ params.base }}
            data: ${{ steps.data.outputs.output }}
          - id: data
            kind: command
            run: "true"
        """;
    given()
        .contentType("application/yaml")
        .body(spec.getBytes())
        .post("/api/v1/templates")
        .then()
        .statusCode(org.hamcrest.Matchers.lessThan(300));
    long before = RunEntity.count();

    given()
        .contentType(ContentType.JSON)
        .body(Map.of("template", "typed-inputs", "params", Map.of("base", files)))
        .post("/api/v1/runs")
        .then()
        .statusCode(422)
        .contentType("application/problem+json")
        .body("errors.path", org.hamcrest.Matchers.contains("params.base"))
        .body(
            "errors[0].message",
            equalTo("'" + files + "' (" + files.substring(0, 12) + ") is files, not checkpoint"));
    assertThat(RunEntity.count()).isEqualTo(before);
  }

  @Test
  void theSameIdempotencyKeyTwiceReturnsTheSameRun() {
    String key = UUID.randomUUID().toString();
    Map<String, Object> body = Map.of("template", "hello", "params", Map.of());
    String first =
        given()
            .header("Idempotency-Key", key)
            .contentType(ContentType.JSON)
            .body(body)
            .post("/api/v1/runs")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    String second =
        given()
            .header("Idempotency-Key", key)
            .contentType(ContentType.JSON)
            .body(body)
            .post("/api/v1/runs")
            .then()
            .statusCode(200)
            .extract()
            .path("id");
    assertThat(second).isEqualTo(first);
    assertThat(RunEntity.count("idempotencyKey", key)).isEqualTo(1);
    Api.awaitStatus(first, TERMINAL, Duration.ofSeconds(60));
  }

  /**
   * IETF draft-ietf-httpapi-idempotency-key-header: a key reused with another payload is a client
   * error.
   */
  @Test
  void theSameIdempotencyKeyWithAnotherBodyIsRefusedAnd422NamesTheKey() {
    String key = UUID.randomUUID().toString();
    String first =
        given()
            .header("Idempotency-Key", key)
            .contentType(ContentType.JSON)
            .body(Map.of("template", "hello", "params", Map.of("greeting", "hi")))
            .post("/api/v1/runs")
            .then()
            .statusCode(201)
            .extract()
            .path("id");

    for (Map<String, Object> other :
        List.<Map<String, Object>>of(
            Map.of("template", "hello", "params", Map.of("greeting", "bye")),
            Map.of("template", "hello", "params", Map.of()),
            Map.of("template", "hello", "version", 99, "params", Map.of("greeting", "hi")))) {
      given()
          .header("Idempotency-Key", key)
          .contentType(ContentType.JSON)
          .body(other)
          .post("/api/v1/runs")
          .then()
          .statusCode(422)
          .contentType("application/problem+json")
          .body("errors[0].path", equalTo("Idempotency-Key"));
    }
    // The same payload, written in another key order, is still the same request.
    String again =
        given()
            .header("Idempotency-Key", key)
            .contentType(ContentType.JSON)
            .body("{\"params\": {\"greeting\": \"hi\"}, \"template\": \"hello\"}")
            .post("/api/v1/runs")
            .then()
            .statusCode(200)
            .extract()
            .path("id");
    assertThat(again).isEqualTo(first);
    assertThat(RunEntity.count("idempotencyKey", key)).isEqualTo(1);
    Api.awaitStatus(first, TERMINAL, Duration.ofSeconds(60));
  }

  @Test
  void cancellingALongCommandStepKillsItsProcessTreeAndMarksTheRunCancelled() {
    String marker = "600." + (System.nanoTime() % 100000);
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: long-sleep
        steps:
          - id: nap
            kind: command
            run: "sleep %s & sleep %s; wait"
          - id: after
            kind: command
            needs: [nap]
            run: "true"
        """
            .formatted(marker, marker));
    String runId = Api.launch("long-sleep", Map.of()).getString("id");
    Api.awaitStepStatus(runId, "nap", "RUNNING", Duration.ofSeconds(30));
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> sleepers(marker) == 2);

    long asked = System.nanoTime();
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("reason", "test"))
        .post("/api/v1/runs/" + runId + "/cancel")
        .then()
        .statusCode(202);
    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(20));
    long seconds = Duration.ofNanos(System.nanoTime() - asked).toSeconds();

    assertThat(run.getString("status")).isEqualTo("CANCELLED");
    assertThat(seconds).isLessThan(15);
    assertThat(sleepers(marker)).isZero();
    assertThat(run.getString("steps.find { it.id == 'nap' }.status")).isEqualTo("CANCELLED");
    assertThat(run.getString("steps.find { it.id == 'after' }.status")).isEqualTo("CANCELLED");
    given().post("/api/v1/runs/" + runId + "/cancel").then().statusCode(409);
  }

  @Test
  void anApprovalStepWaitsUntilApprovedThroughTheApi() {
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: gated
        steps:
          - id: build
            kind: command
            run: "echo built > $TRAINYARD_OUTPUT/x"
          - id: gate
            kind: approval
            needs: [build]
          - id: ship
            kind: command
            needs: [gate]
            run: "true"
        """);
    String runId = Api.launch("gated", Map.of()).getString("id");
    Api.awaitStepStatus(runId, "gate", "WAITING_APPROVAL", Duration.ofSeconds(30));
    assertThat(Api.run(runId).getString("steps.find { it.id == 'ship' }.status"))
        .isEqualTo("PENDING");
    given().post("/api/v1/runs/" + runId + "/steps/ship/approve").then().statusCode(409);

    given().post("/api/v1/runs/" + runId + "/steps/gate/approve").then().statusCode(202);
    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(30));
    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(run.getString("steps.find { it.id == 'gate' }.attempts[0].worker"))
        .isEqualTo("approved by local");
  }

  @Test
  void retryFromFailedReusesCompletedStepsAndCompletesTheRun() throws Exception {
    Path flag = Files.createTempDirectory("trainyard-flag").resolve("ok");
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: flaky
        steps:
          - id: first
            kind: command
            run: "echo one > $TRAINYARD_OUTPUT/one.txt"
          - id: second
            kind: command
            run: "test -f %s || { echo 'flag missing' >&2; exit 3; }; cp \\"$TRAINYARD_INPUT_FIRST\\"/one.txt $TRAINYARD_OUTPUT/"
            inputs: {first: "${{ steps.first.outputs.output }}"}
        """
            .formatted(flag));
    String runId = Api.launch("flaky", Map.of()).getString("id");
    JsonPath failed = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(60));
    assertThat(failed.getString("status")).isEqualTo("FAILED");
    assertThat(failed.getString("error"))
        .contains("second")
        .contains("exited with code 3")
        .contains("flag missing");
    given()
        .get("/api/v1/runs/" + runId + "/steps/second/log")
        .then()
        .statusCode(200)
        .body(org.hamcrest.Matchers.containsString("flag missing"));

    Files.writeString(flag, "");
    given().post("/api/v1/runs/" + runId + "/retry").then().statusCode(202);
    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(60));

    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(run.getString("steps.find { it.id == 'first' }.status")).isEqualTo("REUSED");
    assertThat(run.getList("steps.find { it.id == 'first' }.attempts.attempt", Integer.class))
        .containsExactly(1);
    assertThat(run.getList("steps.find { it.id == 'second' }.attempts.attempt", Integer.class))
        .containsExactly(1, 2);
    assertThat(run.getList("steps.find { it.id == 'second' }.attempts.status", String.class))
        .containsExactly("FAILED", "SUCCEEDED");
    assertThat(run.getInt("executions")).isEqualTo(2);
  }

  @Test
  void runsAreListedNewestFirstWithKeysetPagination() {
    for (int i = 0; i < 3; i++) {
      Api.launch("hello", Map.of());
    }
    List<String> all =
        given()
            .queryParam("limit", 500)
            .get("/api/v1/runs")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("items.id");
    List<String> walked = new java.util.ArrayList<>();
    String cursor = null;
    do {
      var request = given().queryParam("limit", 2);
      if (cursor != null) {
        request.queryParam("cursor", cursor);
      }
      JsonPath page = request.get("/api/v1/runs").then().statusCode(200).extract().jsonPath();
      walked.addAll(page.getList("items.id"));
      cursor = page.getString("nextCursor");
    } while (cursor != null);
    assertThat(walked).isEqualTo(all).doesNotHaveDuplicates();
    given()
        .queryParam("status", "BOGUS")
        .get("/api/v1/runs")
        .then()
        .statusCode(400)
        .body("errors[0].path", equalTo("status"));
  }

  private static long sleepers(String marker) {
    return ProcessHandle.allProcesses()
        .filter(
            p ->
                p.info().command().map(c -> c.endsWith("/sleep")).orElse(false)
                    && p.info()
                        .arguments()
                        .map(a -> a.length == 1 && a[0].equals(marker))
                        .orElse(false))
        .count();
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
