package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/** Small helpers over the REST API, as a client script would use it. */
public final class Api {
  /** The local-mode token the test profile fixes (trainyard.auth.local-token). */
  public static final String LOCAL_TOKEN = "test-token";

  private Api() {}

  /** Every request of the calling test sends the local-mode token. */
  public static void signIn() {
    io.restassured.RestAssured.requestSpecification =
        new io.restassured.builder.RequestSpecBuilder()
            .addHeader("Authorization", "Bearer " + LOCAL_TOKEN)
            .build();
  }

  public static void createTemplate(String yaml) {
    given()
        .contentType("application/yaml")
        .body(yaml.getBytes())
        .post("/api/v1/templates")
        .then()
        .statusCode(201);
  }

  public static JsonPath launch(String template, Map<String, Object> params) {
    return given()
        .contentType(ContentType.JSON)
        .body(Map.of("template", template, "params", params))
        .post("/api/v1/runs")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath();
  }

  public static JsonPath run(String id) {
    return given().get("/api/v1/runs/" + id).then().statusCode(200).extract().jsonPath();
  }

  public static JsonPath awaitStatus(String id, Set<String> statuses, Duration timeout) {
    await()
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> statuses.contains(run(id).getString("status")));
    return run(id);
  }

  public static JsonPath awaitStepStatus(String id, String step, String status, Duration timeout) {
    await()
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                status.equals(run(id).getString("steps.find { it.id == '" + step + "' }.status")));
    return run(id);
  }
}
