package dev.trainyard.backend.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL restarts mid-run: the ledger's writes retry until it is back; nothing is lost or
 * doubled.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class DatabaseRestartTest {
  @Inject EntityManager em;

  @Test
  void aRunOutlivesAPostgresRestartAndItsCatalogHoldsEveryRowExactlyOnce() throws Exception {
    Api.signIn();
    String runId =
        Api.launch("hello", Map.of("greeting", "through a restart", "pause_seconds", 3))
            .getString("id");
    Api.awaitStepStatus(runId, "shard-0", "RUNNING", Duration.ofSeconds(30));

    Thread restart =
        new Thread(
            () -> {
              try {
                PostgresTestResource.restart(Duration.ofSeconds(4)); // down while the shards finish
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    restart.start();
    Thread.sleep(1500);
    io.restassured.RestAssured.given()
        .get("/api/v1/runs/" + runId)
        .then()
        .statusCode(503)
        .header("Retry-After", "5");
    restart.join();

    // While the database is down the API answers 503 (checked below); the wait ignores those.
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(300))
        .ignoreExceptions()
        .until(
            () ->
                Set.of("SUCCEEDED", "FAILED", "CANCELLED")
                    .contains(Api.run(runId).getString("status")));
    JsonPath run = Api.run(runId);
    assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
    assertThat(count("SELECT count(*) FROM step WHERE run_id = ?1 AND status = 'SUCCEEDED'", runId))
        .isEqualTo(5);
    assertThat(count("SELECT count(*) FROM step_attempt WHERE run_id = ?1", runId)).isEqualTo(5);
    assertThat(count("SELECT count(*) FROM step_output WHERE run_id = ?1", runId)).isEqualTo(5);
    assertThat(
            count("SELECT count(DISTINCT artifact_id) FROM step_output WHERE run_id = ?1", runId))
        .isEqualTo(5);
    // greet → 1 output edge; each shard: 1 input + 1 output; join: 3 inputs + 1 output.
    assertThat(
            count(
                "SELECT count(*) FROM lineage_edge WHERE from_node LIKE ?1 OR to_node LIKE ?1",
                "%" + runId + "/%"))
        .isEqualTo(1 + 3 * 2 + 4);
  }

  private long count(String sql, String arg) {
    return ((Number) em.createNativeQuery(sql).setParameter(1, arg).getSingleResult()).longValue();
  }
}
