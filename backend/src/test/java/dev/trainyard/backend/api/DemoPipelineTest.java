package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.openlineage.OpenLineageChecks;
import io.openlineage.client.OpenLineage.RunEvent;
import io.openlineage.client.OpenLineage.RunEvent.EventType;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bundled {@code demo}, exactly as a new user launches it (its default seed), run once by the
 * test command: every stage on the real trainer, the Java merge and prune, and the evaluate gate.
 * The ten-seed check is a benchmark (DemoSeedsBenchmark), not part of the tests.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class DemoPipelineTest {

  @BeforeEach
  void signIn() throws Exception {
    Api.signIn();
    Process check = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").start();
    Assertions.assertTrue(
        check.waitFor() == 0,
        "Debian's python3-torch is not installed (./trainyard test installs it)");
  }

  @Test
  void theBundledDemoPassesItsOwnGateAtItsDefaultSeed() {
    DemoRun demo = DemoRun.launch(0);

    assertThat(demo.status()).as(demo.error()).isEqualTo("SUCCEEDED");
    assertThat(demo.exactMatch()).as("exact match of the pruned soup").isGreaterThanOrEqualTo(0.5);
    assertThat(demo.run().getList("steps.status", String.class)).containsOnly("SUCCEEDED");
    everyOpenLineageEventOfTheRunParsesAndEachAttemptStartsThenCompletes(demo);
  }

  /** Issue 17: every event of the demo run parses in the official client with the spec's fields. */
  private static void everyOpenLineageEventOfTheRunParsesAndEachAttemptStartsThenCompletes(
      DemoRun demo) {
    List<String> steps = demo.run().getList("steps.id", String.class);
    List<RunEvent> events = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              events.clear();
              String body =
                  given()
                      .get("/api/v1/runs/" + demo.runId() + "/openlineage")
                      .then()
                      .statusCode(200)
                      .extract()
                      .asString();
              OpenLineageChecks.tree(body)
                  .path("items")
                  .forEach(e -> events.add(OpenLineageChecks.parsedAndComplete(e.toString())));
              return events.stream().filter(e -> e.getEventType() == EventType.COMPLETE).count()
                  == steps.size();
            });
    Map<UUID, List<EventType>> byAttempt = new LinkedHashMap<>();
    events.forEach(
        e ->
            byAttempt
                .computeIfAbsent(e.getRun().getRunId(), k -> new ArrayList<>())
                .add(e.getEventType()));
    assertThat(byAttempt).hasSize(steps.size());
    byAttempt
        .values()
        .forEach(
            types ->
                assertThat(types)
                    .first()
                    .isEqualTo(EventType.START)
                    .satisfies(t -> assertThat(types).last().isEqualTo(EventType.COMPLETE)));
    assertThat(events.stream().map(e -> e.getJob().getName()).distinct())
        .containsExactlyInAnyOrderElementsOf(steps.stream().map(id -> "demo." + id).toList());
  }
}
