package dev.trainyard.backend.webhooks;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.security.KeycloakProfile;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Team mode, with real Keycloak tokens: subscriptions are team-scoped as templates and runs are
 * (viewers read, operators change, another team's answers 404), and a URL into the server's own
 * network is refused.
 */
@QuarkusTest
@TestProfile(KeycloakProfile.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class WebhookAccessTest {
  private static final Map<String, String> TOKENS = new HashMap<>();

  @BeforeAll
  static void tokens() {
    KeycloakProfile.requireRunning();
    for (String user : List.of("viewer-a", "operator-a", "operator-b", "admin")) {
      TOKENS.put(user, KeycloakProfile.passwordToken(user));
    }
  }

  private static RequestSpecification as(String user) {
    RestAssured.requestSpecification = null;
    return given().header("Authorization", "Bearer " + TOKENS.get(user));
  }

  private static io.restassured.response.Response subscribe(String user, String team, String url) {
    return as(user)
        .contentType(ContentType.JSON)
        .body(Map.of("url", url, "events", List.of("run.ended"), "team", team))
        .post("/api/v1/webhooks");
  }

  @Test
  void subscriptionsAreScopedToTheirTeamAndInternalUrlsAreRefusedInTeamMode() {
    // Team mode refuses private addresses by default: the refusal names the field.
    subscribe("operator-a", "team-a", "http://127.0.0.1:9/hook")
        .then()
        .statusCode(422)
        .body("errors[0].path", org.hamcrest.Matchers.equalTo("url"))
        .body("errors[0].message", org.hamcrest.Matchers.containsString("internal address"));
    subscribe("operator-a", "team-a", "http://169.254.169.254/latest/meta-data/")
        .then()
        .statusCode(422);

    String url = "https://93.184.215.14/hook"; // a public address literal: nothing resolves it
    subscribe("viewer-a", "team-a", url).then().statusCode(403);
    subscribe("operator-b", "team-a", url).then().statusCode(403);
    String id = subscribe("operator-a", "team-a", url).then().statusCode(201).extract().path("id");

    as("viewer-a").get("/api/v1/webhooks/" + id).then().statusCode(200);
    as("viewer-a").get("/api/v1/webhooks/" + id + "/deliveries").then().statusCode(200);
    as("admin").get("/api/v1/webhooks/" + id).then().statusCode(200);
    as("operator-b").get("/api/v1/webhooks/" + id).then().statusCode(404);
    as("operator-b").get("/api/v1/webhooks/" + id + "/deliveries").then().statusCode(404);
    assertThat(as("operator-b").get("/api/v1/webhooks").jsonPath().getList("items.id"))
        .doesNotContain(id);
    assertThat(as("viewer-a").get("/api/v1/webhooks").jsonPath().getList("items.id")).contains(id);

    as("viewer-a").delete("/api/v1/webhooks/" + id).then().statusCode(403);
    as("operator-b").delete("/api/v1/webhooks/" + id).then().statusCode(404);
    as("operator-a").delete("/api/v1/webhooks/" + id).then().statusCode(204);
    as("admin").get("/api/v1/webhooks/" + id).then().statusCode(404);
  }
}
