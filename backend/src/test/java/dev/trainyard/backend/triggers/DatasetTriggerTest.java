package dev.trainyard.backend.triggers;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Event triggers: a new dataset version launches the bound template, once per event. */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class DatasetTriggerTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Inject TriggerLauncher launcher;
  @Inject EntityManager em;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  @Test
  void aNewDatasetVersionLaunchesTheBoundTemplateOnceEvenWhenTheEventIsDeliveredTwice()
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String dataset = "corpus-" + suffix;
    String template = "retrain-" + suffix;
    // Cheap to launch: the run waits at its approval step, which is all this test needs.
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        params:
          corpus: {type: dataset}
          version: {type: int}
          note: {type: string, default: ""}
        steps:
          - id: gate
            kind: approval
        """
            .formatted(template));
    register(dataset, "default"); // v1, before the trigger: launches nothing

    String trigger =
        given()
            .contentType(ContentType.JSON)
            .body(
                Map.of(
                    "event",
                    "dataset.version.registered",
                    "match",
                    Map.of("dataset", dataset),
                    "params",
                    Map.of(
                        "corpus", "${{ event.dataset.ref }}",
                        "version", "${{ event.dataset.version }}",
                        "note", "new data by ${{ event.dataset.registeredBy }}")))
            .post("/api/v1/templates/" + template + "/triggers")
            .then()
            .statusCode(201)
            .extract()
            .path("id");

    String v2 = register(dataset, "default");
    // v1's event, though the relay may hand it out only now, is older than the trigger: no launch.
    register("unrelated-" + suffix, "default"); // another name: no launch
    register(dataset, "team-b"); // the same name in another team: no launch

    await().atMost(WAIT).until(() -> !runsOf(template).isEmpty());
    JsonPath run = Api.run(runsOf(template).get(0));
    assertThat(run.getString("params.corpus")).isEqualTo(dataset + ":v2");
    assertThat(run.getInt("params.version")).isEqualTo(2);
    assertThat(run.getString("params.note")).isEqualTo("new data by local");
    assertThat(run.getString("launchedBy")).isEqualTo("trigger:" + trigger);
    assertThat(run.getString("triggeredBy.trigger")).isEqualTo(trigger);
    assertThat(run.getString("triggeredBy.eventType")).isEqualTo("dataset.version.registered");
    assertThat(run.getString("triggeredBy.sourceArtifact")).isEqualTo(v2);
    assertThat(run.getInt("triggeredBy.depth")).isEqualTo(1);
    String event = run.getString("triggeredBy.event");

    // The event delivered twice: handed out again by the relay (as after a crash before its
    // commit), and the firing launched again directly (as after a crash after the launch).
    QuarkusTransaction.requiringNew()
        .run(
            () ->
                em.createNativeQuery("UPDATE domain_event SET dispatched_at = NULL WHERE id = ?1")
                    .setParameter(1, event)
                    .executeUpdate());
    await().atMost(WAIT).until(() -> dispatched(event));
    assertThat(launcher.launch(trigger, event)).isEqualTo(run.getString("id"));
    Thread.sleep(500); // a second run, were there one, would be launched by now
    assertThat(runsOf(template)).containsExactly(run.getString("id"));

    List<Map<String, Object>> firings =
        given()
            .get("/api/v1/templates/" + template + "/triggers/" + trigger + "/firings")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("items");
    assertThat(firings).hasSize(1);
    assertThat(firings.get(0))
        .containsEntry("event", event)
        .containsEntry("status", "LAUNCHED")
        .containsEntry("run", run.getString("id"));
  }

  @Test
  void aTriggerWithAnUnknownEventOrAnExpressionOfAnotherEventIsRefusedWithThePaths() {
    String template = "trig-bad-" + UUID.randomUUID().toString().substring(0, 8);
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        steps:
          - id: gate
            kind: approval
        """
            .formatted(template));
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("event", "dataset.deleted"))
        .post("/api/v1/templates/" + template + "/triggers")
        .then()
        .statusCode(422)
        .body("errors.path", org.hamcrest.Matchers.contains("event"));
    given()
        .contentType(ContentType.JSON)
        .body(
            Map.of(
                "event", "run.ended",
                "match", Map.of("status", "SUCCEEDED", "alias", "x"),
                "params", Map.of("model", "${{ event.dataset.id }}")))
        .post("/api/v1/templates/" + template + "/triggers")
        .then()
        .statusCode(422)
        .body(
            "errors.path",
            org.hamcrest.Matchers.containsInAnyOrder(
                "match.alias", "match.template", "params.model"));
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("event", "alias.moved", "match", Map.of("alias", "production")))
        .post("/api/v1/templates/no-such-template/triggers")
        .then()
        .statusCode(404);
    assertThat(
            given().get("/api/v1/templates/" + template + "/triggers").jsonPath().getList("items"))
        .isEmpty();
  }

  private boolean dispatched(String event) {
    return QuarkusTransaction.requiringNew()
        .call(
            () ->
                em.createNativeQuery(
                            "SELECT 1 FROM domain_event WHERE id = ?1 AND dispatched_at IS NOT NULL")
                        .setParameter(1, event)
                        .getResultList()
                        .size()
                    == 1);
  }

  private static List<String> runsOf(String template) {
    return given()
        .queryParam("template", template)
        .get("/api/v1/runs")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("items.id");
  }

  private static String register(String name, String team) throws Exception {
    Path file = Files.createTempFile("trigger", ".jsonl");
    Files.writeString(file, "{\"text\": \"" + UUID.randomUUID() + "\"}\n");
    return given()
        .contentType(ContentType.JSON)
        .body(Map.of("name", name, "uri", file.toUri().toString(), "team", team))
        .post("/api/v1/datasets")
        .then()
        .statusCode(201)
        .extract()
        .path("id");
  }
}
