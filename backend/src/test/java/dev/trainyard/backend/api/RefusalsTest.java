package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Issue 11 M5: every refusal is a 4xx, never a 5xx, and leaves an audit row with the raw path. */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class RefusalsTest {
  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  /**
   * The audit event of one request, found by its request id (appended after the answer, so
   * awaited).
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> auditEvent(String requestId) {
    Map<String, Object>[] found = new Map[1];
    Awaitility.await("audit event " + requestId)
        .atMost(java.time.Duration.ofSeconds(20))
        .until(
            () -> {
              // Oldest first, a page at a time: other tests in this JVM leave thousands of events.
              Object after = null;
              while (true) {
                var request =
                    given()
                        .header("Authorization", "Bearer " + Api.LOCAL_TOKEN)
                        .queryParam("limit", 1000);
                if (after != null) {
                  request.queryParam("after", after);
                }
                var page = request.get("/api/v1/audit").then().statusCode(200).extract().jsonPath();
                List<Map<String, Object>> items = page.getList("items");
                found[0] =
                    items.stream()
                        .filter(e -> requestId.equals(e.get("requestId")))
                        .findFirst()
                        .orElse(null);
                after = page.get("nextAfter");
                if (found[0] != null || after == null) {
                  return found[0] != null;
                }
              }
            });
    return found[0];
  }

  private static String requestId() {
    return "refusal-" + UUID.randomUUID();
  }

  private static String requestId(String what) {
    return "refusal-" + what.replaceAll("[^A-Za-z0-9]", "_") + "-" + UUID.randomUUID();
  }

  @Test
  void nulAndEncodedPathsAre4xxAndAuditedWithTheRawPath() {
    for (String raw :
        List.of(
            "/api/v1/runs/%00/cancel",
            "/api/v1/runs/a%2Fb/cancel",
            "/api/v1/runs/%2e%2e/cancel",
            "/api/v1/runs/%ff%fe/retry",
            "/api/v1/runs/x%00y/steps/%00/approve")) {
      String id = requestId(raw);
      Response response = given().urlEncodingEnabled(false).header("X-Request-Id", id).post(raw);
      assertThat(response.statusCode()).as(raw).isBetween(400, 499);
      Map<String, Object> event = auditEvent(id);
      assertThat(event.get("target")).as(raw).isEqualTo(raw);
      assertThat(event.get("status")).as(raw).isEqualTo(response.statusCode());
    }
  }

  @Test
  void oddDatasetUrisAre422AndAudited() throws Exception {
    Path file = Files.createTempFile("trainyard-odd", ".jsonl");
    Files.writeString(file, "{\"text\": \"x\"}\n");
    for (String uri :
        List.of(
            "file://localhost" + file,
            "file://evil" + file,
            "file:etc/passwd",
            "file://" + file + "?x=1")) {
      String id = requestId();
      given()
          .header("X-Request-Id", id)
          .contentType(ContentType.JSON)
          .body(Map.of("name", "odd", "uri", uri))
          .post("/api/v1/datasets")
          .then()
          .statusCode(422);
      Map<String, Object> event = auditEvent(id);
      assertThat(event.get("status")).as(uri).isEqualTo(422);
      assertThat(event.get("action")).isEqualTo("POST /api/v1/datasets");
    }
  }

  @Test
  void aCsrfRefusalIsAudited() {
    String id = requestId();
    given()
        .auth()
        .none()
        .header("Authorization", "")
        .cookie("q_session", "forged")
        .header("X-Request-Id", id)
        .contentType(ContentType.JSON)
        .body(Map.of("template", "hello"))
        .post("/api/v1/runs")
        .then()
        .statusCode(403);
    Map<String, Object> event = auditEvent(id);
    assertThat(event.get("status")).isEqualTo(403);
    assertThat(event.get("target")).isEqualTo("/api/v1/runs");
    assertThat(event.get("actor")).isEqualTo("anonymous");
  }

  @Test
  void aForeignHostRefusalIsAudited() {
    String id = requestId();
    given()
        .header("Host", "evil.example")
        .header("X-Request-Id", id)
        .contentType(ContentType.JSON)
        .body(Map.of("template", "hello"))
        .post("/api/v1/runs")
        .then()
        .statusCode(421);
    Map<String, Object> event = auditEvent(id);
    assertThat(event.get("status")).isEqualTo(421);
    assertThat(event.get("target")).isEqualTo("/api/v1/runs");
  }

  @Test
  void databaseErrorsAreNeverEchoed() {
    String body =
        given()
            .urlEncodingEnabled(false)
            .get("/api/v1/runs?team=%00")
            .then()
            .statusCode(400)
            .extract()
            .asString();
    assertThat(body)
        .doesNotContainIgnoringCase("ERROR:")
        .doesNotContainIgnoringCase("invalid byte sequence")
        .doesNotContain("0x00")
        .doesNotContainIgnoringCase("postgres");
  }
}
