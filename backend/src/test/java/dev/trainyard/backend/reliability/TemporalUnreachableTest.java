package dev.trainyard.backend.reliability;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.backend.catalog.StepEntity;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Temporal cannot be reached at launch: the API says so (503, Retry-After) and leaves no run
 * behind.
 */
@QuarkusTest
@TestProfile(TemporalUnreachableTest.NoTemporal.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class TemporalUnreachableTest {
  public static class NoTemporal implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      // Port 9 (discard) on loopback: nothing listens, connections are refused at once.
      return Map.of(
          "trainyard.temporal.target", "127.0.0.1:9", "trainyard.worker.embedded", "false");
    }
  }

  @Test
  void launchingWhileTemporalIsUnreachableAnswers503WithRetryAfterAndLeavesNoRunRow() {
    Api.signIn();
    long runs = RunEntity.count();
    long steps = StepEntity.count();
    given()
        .contentType(ContentType.JSON)
        .header("Idempotency-Key", "while-temporal-is-down")
        .body(Map.of("template", "hello", "params", Map.of()))
        .post("/api/v1/runs")
        .then()
        .statusCode(503)
        .header("Retry-After", "5")
        .contentType("application/problem+json");
    assertThat(RunEntity.count()).isEqualTo(runs);
    assertThat(StepEntity.count()).isEqualTo(steps);
    // The reads that need only the catalog keep working.
    given().get("/api/v1/runs").then().statusCode(200);
  }
}
