package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real run's event history, read from Temporal through the API, paged. */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class RunHistoryTest {
  static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  @Test
  void aFailedRunsHistoryNamesTheStepItsAttemptAndTheFailureAndPagesWithoutGapsOrRepeats() {
    String name = "history-" + UUID.randomUUID().toString().substring(0, 8);
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        steps:
          - id: greet
            kind: command
            run: "echo hi > $TRAINYARD_OUTPUT/hi.txt"
          - id: broken
            kind: command
            needs: [greet]
            run: "echo 'no GPU today' >&2; exit 3"
        """
            .formatted(name));
    String runId = Api.launch(name, Map.of()).getString("id");
    assertThat(Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(90)).getString("status"))
        .isEqualTo("FAILED");

    JsonPath all = history(runId, 0, 500);
    List<Map<String, Object>> events = all.getList("items");
    assertThat(all.getString("nextAfter")).isNull();
    assertThat(events.getFirst()).containsEntry("type", "WORKFLOW_EXECUTION_STARTED");
    assertThat(events.getFirst().get("eventId")).isEqualTo(1);
    assertThat(all.getList("items.type", String.class))
        .contains(
            "ACTIVITY_TASK_SCHEDULED", "ACTIVITY_TASK_COMPLETED", "WORKFLOW_EXECUTION_COMPLETED");
    // Each step's run on the worker is an activity; its events name the step.
    assertThat(
            all.getList(
                "items.findAll { it.type == 'ACTIVITY_TASK_COMPLETED' }.stepId", String.class))
        .contains("greet");
    List<Map<String, Object>> brokenStarts =
        all.getList(
            "items.findAll { it.type == 'ACTIVITY_TASK_STARTED' && it.stepId == 'broken' }");
    assertThat(brokenStarts).isNotEmpty();
    assertThat(brokenStarts.getFirst().get("attempt")).isEqualTo(1);
    List<String> failures =
        all.getList(
            "items.findAll { it.stepId == 'broken' && it.failure != null }.failure", String.class);
    assertThat(failures).isNotEmpty();
    assertThat(String.join("\n", failures)).contains("3");

    // Pages of 7 read the same events, in order, each once.
    List<Object> paged = new ArrayList<>();
    long after = 0;
    int pages = 0;
    while (true) {
      JsonPath page = history(runId, after, 7);
      paged.addAll(page.getList("items.eventId"));
      pages++;
      if (page.get("nextAfter") == null) {
        break;
      }
      assertThat(page.getList("items")).hasSize(7);
      after = page.getLong("nextAfter");
    }
    assertThat(paged).isEqualTo(all.getList("items.eventId"));
    assertThat(pages).isEqualTo((events.size() + 6) / 7);
  }

  @Test
  void anUnknownRunIsNotFoundAndBadPagingNamesEachParameter() {
    given().get("/api/v1/runs/no-such-run/history").then().statusCode(404);
    String runId =
        Api.launch("hello", Map.of("greeting", "history " + UUID.randomUUID())).getString("id");
    JsonPath problem =
        given()
            .queryParam("limit", 0)
            .queryParam("after", -1)
            .get("/api/v1/runs/" + runId + "/history")
            .then()
            .statusCode(422)
            .extract()
            .jsonPath();
    assertThat(problem.getList("errors.path", String.class)).containsExactly("limit", "after");
    Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(90));
  }

  private static JsonPath history(String runId, long after, int limit) {
    return given()
        .queryParam("after", after)
        .queryParam("limit", limit)
        .get("/api/v1/runs/" + runId + "/history")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath();
  }
}
