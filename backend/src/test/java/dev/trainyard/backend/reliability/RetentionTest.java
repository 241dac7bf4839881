package dev.trainyard.backend.reliability;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Checkpoint retention on real runs: three runs of a two-step pipeline (an intermediate checkpoint
 * feeding a final one), an alias on the oldest final, a policy keeping one of each. The dry run
 * deletes nothing; applying deletes exactly the two unprotected checkpoints, leaves tombstones in
 * the catalog and lineage, audits each deletion, removes succeeded steps' resume states, and never
 * reuses a deleted output from the step cache.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class RetentionTest {
  static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");

  @Inject EntityManager em;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  static String template(String name) {
    return """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        params:
          seed: {type: string, default: "a"}
          fail: {type: string, default: "no"}
        steps:
          - id: pretrain
            kind: command
            output_type: checkpoint
            cache: true
            run: |
              printf '{"seed": "%%s"}' "$TRAINYARD_PARAM_SEED" > "$TRAINYARD_OUTPUT/config.json"
              printf '\\10\\0\\0\\0\\0\\0\\0\\0{}      ' > "$TRAINYARD_OUTPUT/model.safetensors"
              mkdir -p "$TRAINYARD_WORKDIR/checkpoints/step-10"
              echo state > "$TRAINYARD_WORKDIR/checkpoints/step-10/trainer_state.pt"
          - id: finetune
            kind: command
            output_type: checkpoint
            retry: {max_attempts: 1}
            inputs: {pretrain: "${{ steps.pretrain.outputs.output }}"}
            run: |
              [ "$TRAINYARD_PARAM_FAIL" = no ] || exit 1
              cat "$TRAINYARD_INPUT_PRETRAIN/model.safetensors" > "$TRAINYARD_OUTPUT/model.safetensors"
              { printf '{"tuned": '; cat "$TRAINYARD_INPUT_PRETRAIN/config.json"; echo '}'; } > "$TRAINYARD_OUTPUT/config.json"
        """
        .formatted(name);
  }

  record Outputs(String runId, String pretrain, String finetune) {}

  Outputs runToCompletion(String template, String seed) {
    String runId = Api.launch(template, Map.of("seed", seed)).getString("id");
    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(60));
    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    return new Outputs(runId, output(run, "pretrain"), output(run, "finetune"));
  }

  static String output(JsonPath run, String step) {
    return run.getString("steps.find { it.id == '" + step + "' }.outputs.output.artifactId");
  }

  static Path filesOf(String artifactId) {
    String uri =
        given().get("/api/v1/artifacts/" + artifactId).then().statusCode(200).extract().path("uri");
    return Path.of(URI.create(uri));
  }

  long count(String sql) {
    return ((Number) em.createNativeQuery(sql).getSingleResult()).longValue();
  }

  @Test
  void applyingAPolicyDeletesOnlyUnprotectedCheckpointsAndLeavesAuditedTombstones()
      throws Exception {
    String name = "retain-" + UUID.randomUUID().toString().substring(0, 8);
    Api.createTemplate(template(name));
    Outputs oldest = runToCompletion(name, "one");
    Outputs middle = runToCompletion(name, "two");
    Outputs newest = runToCompletion(name, "three");
    assertThat(
            given()
                .get("/api/v1/artifacts/" + oldest.pretrain())
                .then()
                .extract()
                .path("type")
                .toString())
        .isEqualTo("checkpoint");
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("artifact", oldest.finetune()))
        .put("/api/v1/aliases/prod-" + name.substring(7))
        .then()
        .statusCode(200);

    // Bad policies: every problem with its path, nothing stored.
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("keepLastIntermediate", -1, "keepLastFinals", -2))
        .put("/api/v1/templates/" + name + "/retention")
        .then()
        .statusCode(422)
        .body(
            "errors.path",
            org.hamcrest.Matchers.containsInAnyOrder("keepLastIntermediate", "keepLastFinals"));
    // no policy yet: nothing to show, and no error (a 404 would say the template is missing)
    given().get("/api/v1/templates/" + name + "/retention").then().statusCode(204);
    given().get("/api/v1/templates/no-such-" + name + "/retention").then().statusCode(404);
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("keepLastIntermediate", 1, "keepLastFinals", 1))
        .put("/api/v1/templates/" + name + "/retention")
        .then()
        .statusCode(200)
        .body("keepLastIntermediate", equalTo(1))
        .body("keepLastFinals", equalTo(1));

    // The dry run names what would go and why the rest stays, and deletes nothing.
    JsonPath plan =
        given()
            .get("/api/v1/templates/" + name + "/retention/plan")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(plan.getList("decisions.findAll { it.action == 'DELETE' }.artifactId", String.class))
        .containsExactlyInAnyOrder(middle.pretrain(), middle.finetune());
    assertThat(reason(plan, oldest.finetune())).contains("alias 'prod-");
    assertThat(reason(plan, oldest.pretrain())).contains("in the lineage of alias 'prod-");
    assertThat(reason(plan, newest.pretrain())).contains("newest intermediates");
    assertThat(reason(plan, newest.finetune())).contains("newest finals");
    assertThat(plan.getList("resumeStates.runId", String.class))
        .containsExactlyInAnyOrder(oldest.runId(), middle.runId(), newest.runId());
    assertThat(filesOf(middle.pretrain()).resolve("model.safetensors")).exists();
    assertThat(
            count(
                "SELECT count(*) FROM artifact a JOIN run r ON r.id = a.run_id WHERE r.template_name = '"
                    + name
                    + "' AND a.deleted_at IS NOT NULL"))
        .isZero();

    long artifactRows = count("SELECT count(*) FROM artifact");
    long edges = count("SELECT count(*) FROM lineage_edge");
    JsonPath applied =
        given()
            .contentType(ContentType.JSON)
            .body(Map.of())
            .header("X-Request-Id", "retain-" + name)
            .post("/api/v1/templates/" + name + "/retention/apply")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(applied.getBoolean("dryRun")).isFalse();
    assertThat(applied.getList("errors")).isEmpty();

    // Files gone for exactly the two; rows, hashes and edges stay as tombstones.
    assertThat(filesOf(middle.pretrain())).doesNotExist();
    assertThat(filesOf(middle.finetune())).doesNotExist();
    for (String kept :
        List.of(oldest.pretrain(), oldest.finetune(), newest.pretrain(), newest.finetune())) {
      assertThat(filesOf(kept).resolve("model.safetensors")).exists();
    }
    assertThat(count("SELECT count(*) FROM artifact")).isEqualTo(artifactRows);
    assertThat(count("SELECT count(*) FROM lineage_edge")).isEqualTo(edges);
    JsonPath tombstone =
        given()
            .get("/api/v1/artifacts/" + middle.pretrain())
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(tombstone.getString("deleted.by")).isEqualTo("local");
    assertThat(tombstone.getString("deleted.reason"))
        .contains("intermediate checkpoint older than the 1 newest");
    assertThat(tombstone.getList("files.sha256")).hasSize(2); // config.json, model.safetensors
    JsonPath lineage =
        given()
            .get("/api/v1/artifacts/" + middle.finetune() + "/lineage")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(
            lineage.getBoolean(
                "nodes.find { it.id == 'artifact:" + middle.pretrain() + "' }.deleted"))
        .isTrue();
    assertThat(
            lineage.getBoolean(
                "nodes.find { it.id == 'artifact:" + middle.finetune() + "' }.deleted"))
        .isTrue();

    // Resume states of the succeeded steps are gone, and each deletion is in the audit chain.
    for (String run : List.of(oldest.runId(), middle.runId(), newest.runId())) {
      Path home =
          Path.of(
              org.eclipse.microprofile.config.ConfigProvider.getConfig()
                  .getValue("trainyard.home", String.class));
      assertThat(
              home.resolve(plan.getString("resumeStates.find { it.runId == '" + run + "' }.path")))
          .doesNotExist();
    }
    JsonPath audit =
        given()
            .queryParam("action", "RETENTION DELETE")
            .queryParam("limit", 1000)
            .get("/api/v1/audit")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    List<String> targets =
        audit.getList(
            "items.findAll { it.requestId == 'retain-" + name + "' }.target", String.class);
    assertThat(targets)
        .contains(
            "artifact:" + middle.pretrain(),
            "artifact:" + middle.finetune(),
            "resume-state:" + middle.runId() + "/pretrain/1");
    assertThat(targets).hasSize(5);
    given().get("/api/v1/audit/verify").then().statusCode(200).body("intact", equalTo(true));

    // A tombstone cannot take an alias, and a second pass has nothing left to delete.
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("artifact", middle.finetune()))
        .put("/api/v1/aliases/dead-" + name.substring(7))
        .then()
        .statusCode(409);
    JsonPath again =
        given()
            .contentType(ContentType.JSON)
            .body(Map.of())
            .post("/api/v1/templates/" + name + "/retention/apply")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(again.getList("decisions.findAll { it.action == 'DELETE' }")).isEmpty();
    assertThat(again.getList("resumeStates")).isEmpty();

    // The step cache never hands out deleted files: the step runs again and its output comes back.
    JsonPath rerun = Api.run(runToCompletion(name, "two").runId());
    assertThat(rerun.getString("steps.find { it.id == 'pretrain' }.status")).isEqualTo("SUCCEEDED");
    assertThat(output(rerun, "pretrain")).isEqualTo(middle.pretrain());
    assertThat(filesOf(middle.pretrain()).resolve("model.safetensors")).exists();
    given()
        .get("/api/v1/artifacts/" + middle.pretrain())
        .then()
        .statusCode(200)
        .body("deleted", equalTo(null));
  }

  @Test
  void aPolicyAppliesByItselfWhenARunOfItsTemplateSucceeds() {
    String name = "auto-" + UUID.randomUUID().toString().substring(0, 8);
    Api.createTemplate(template(name));
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("keepLastIntermediate", 0))
        .put("/api/v1/templates/" + name + "/retention")
        .then()
        .statusCode(200)
        .body("keepLastFinals", equalTo(null));

    Outputs run = runToCompletion(name, "auto");

    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                given().get("/api/v1/artifacts/" + run.pretrain()).then().extract().path("deleted")
                    != null);
    JsonPath tombstone =
        given().get("/api/v1/artifacts/" + run.pretrain()).then().extract().jsonPath();
    assertThat(tombstone.getString("deleted.by")).isEqualTo("retention-policy");
    assertThat(filesOf(run.pretrain())).doesNotExist();
    assertThat(filesOf(run.finetune()).resolve("model.safetensors")).exists(); // finals: all kept
    JsonPath audit =
        given()
            .queryParam("action", "RETENTION DELETE")
            .queryParam("limit", 1000)
            .get("/api/v1/audit")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(
            audit.getList(
                "items.findAll { it.target == 'artifact:" + run.pretrain() + "' }.actor",
                String.class))
        .containsExactly("retention-policy");
  }

  @Test
  void theCheckpointsOfARunThatCanBeRetriedAreKept() {
    String name = "retry-" + UUID.randomUUID().toString().substring(0, 8);
    Api.createTemplate(template(name));
    String failedId = Api.launch(name, Map.of("seed", "f", "fail", "yes")).getString("id");
    JsonPath failed = Api.awaitStatus(failedId, TERMINAL, Duration.ofSeconds(60));
    assertThat(failed.getString("status")).isEqualTo("FAILED");
    String pretrain = output(failed, "pretrain");
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("keepLastIntermediate", 0, "keepLastFinals", 0))
        .put("/api/v1/templates/" + name + "/retention")
        .then()
        .statusCode(200);

    JsonPath applied =
        given()
            .contentType(ContentType.JSON)
            .body(Map.of())
            .post("/api/v1/templates/" + name + "/retention/apply")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();

    assertThat(reason(applied, pretrain)).isEqualTo("its run is FAILED and may be retried");
    assertThat(filesOf(pretrain).resolve("model.safetensors")).exists();
  }

  /**
   * What an unfinished run will read is what it recorded at launch (run_input), not any text in its
   * plan or params: a checkpoint bound to a waiting run's step stays, one only named in a string
   * parameter goes.
   */
  @Test
  void aCheckpointAWaitingRunReadsIsKeptButOneItsParamsMerelyMentionGoes() {
    String name = "read-" + UUID.randomUUID().toString().substring(0, 8);
    Api.createTemplate(template(name));
    Outputs produced = runToCompletion(name, name);
    String reader = "reader-" + name.substring(5);
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        params:
          base: {type: checkpoint}
          note: {type: string}
        steps:
          - id: gate
            kind: approval
          - id: use
            kind: command
            needs: [gate]
            inputs: {base: "${{ params.base }}"}
            run: cat "$TRAINYARD_INPUT_BASE/model.safetensors"
        """
            .formatted(reader));
    String readerRun =
        Api.launch(reader, Map.of("base", produced.finetune(), "note", produced.pretrain()))
            .getString("id");
    Api.awaitStepStatus(readerRun, "gate", "WAITING_APPROVAL", Duration.ofSeconds(30));
    assertThat(
            count(
                "SELECT count(*) FROM run_input WHERE run_id = '"
                    + readerRun
                    + "' AND step_id = 'use' AND name = 'params.base' "
                    + "AND artifact_id = '"
                    + produced.finetune()
                    + "'"))
        .isOne();
    assertThat(count("SELECT count(*) FROM run_input WHERE run_id = '" + readerRun + "'")).isOne();
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("keepLastIntermediate", 0, "keepLastFinals", 0))
        .put("/api/v1/templates/" + name + "/retention")
        .then()
        .statusCode(200);

    JsonPath applied =
        given()
            .contentType(ContentType.JSON)
            .body(Map.of())
            .post("/api/v1/templates/" + name + "/retention/apply")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();

    assertThat(reason(applied, produced.finetune())).isEqualTo("an unfinished run reads it");
    assertThat(filesOf(produced.finetune()).resolve("model.safetensors")).exists();
    assertThat(reason(applied, produced.pretrain()))
        .isEqualTo("intermediate checkpoint older than the 0 newest");
    assertThat(filesOf(produced.pretrain())).doesNotExist();
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("reason", "test over"))
        .post("/api/v1/runs/" + readerRun + "/cancel")
        .then()
        .statusCode(202);
  }

  static String reason(JsonPath plan, String artifactId) {
    return plan.getString("decisions.find { it.artifactId == '" + artifactId + "' }.reason");
  }
}
