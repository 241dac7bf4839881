package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.config.TrainyardConfig;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, Low findings that local mode shows (the team-mode ones are in AuthorizationMatrixTest).
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class LowFindingsTest {
  @Inject TrainyardConfig config;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  @Test
  void theHomeDirectoryIsOwnerOnly() throws Exception {
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config.home())))
        .isEqualTo("rwx------");
  }

  @Test
  void metricsAndTheApiDescriptionNeedASignedInCaller() {
    RestAssured.requestSpecification = null;
    for (String path : new String[] {"/q/metrics", "/q/openapi", "/q/swagger-ui/"}) {
      given().redirects().follow(false).get(path).then().statusCode(401);
      given().header("Authorization", "Bearer " + Api.LOCAL_TOKEN).get(path).then().statusCode(200);
    }
    given().get("/q/health/ready").then().statusCode(200);
  }

  @Test
  void metricsAreLabelledByRouteTemplateNeverByTheRawPath() {
    String marker = "probe" + UUID.randomUUID().toString().replace("-", "");
    given().get("/api/v1/runs/" + marker).then().statusCode(404);
    given().get("/api/v1/" + marker).then().statusCode(404);
    given()
        .post("/api/v1/" + marker + "/x")
        .then()
        .statusCode(org.hamcrest.Matchers.greaterThanOrEqualTo(400));
    given().get("/runs/" + marker).then().statusCode(200); // a dashboard deep link
    given().get("/assets/" + marker + ".js").then().statusCode(404);
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    assertThat(metrics).contains("uri=\"/api/v1/runs/{id}\"").doesNotContain(marker);
  }

  @Test
  void aForeignHostHeaderIsRefusedSoDnsRebindingFindsNothing() {
    given().header("Host", "evil.example").get("/api/v1/runs").then().statusCode(421);
    given().header("Host", "evil.example:8080").get("/").then().statusCode(421);
    given().header("Host", "127.0.0.1.evil.example").get("/api/v1/runs").then().statusCode(421);
    given()
        .header("Host", "10.1.2.3:8080")
        .get("/q/health/ready")
        .then()
        .statusCode(200); // a kubelet probe
    given().header("Host", "localhost").get("/api/v1/runs").then().statusCode(200);
    given().header("Host", "127.0.0.1:1234").get("/api/v1/runs").then().statusCode(200);
    given().header("Host", "[::1]:1234").get("/api/v1/runs").then().statusCode(200);
    given().header("Host", "[::2]:1234").get("/api/v1/runs").then().statusCode(421);
  }

  @Test
  void theDashboardSessionIsAnHttpOnlyCookieThatIsNotTheTokenAndNeedsTheCsrfHeaderForChanges() {
    RestAssured.requestSpecification = null;
    given()
        .contentType("application/json")
        .body(java.util.Map.of("token", "wrong"))
        .post("/auth/session")
        .then()
        .statusCode(401);
    io.restassured.response.Response signedIn =
        given()
            .contentType("application/json")
            .body(java.util.Map.of("token", Api.LOCAL_TOKEN))
            .post("/auth/session");
    assertThat(signedIn.statusCode()).isEqualTo(204);
    String setCookie = signedIn.getHeader("Set-Cookie");
    assertThat(setCookie)
        .contains("trainyard_session=")
        .contains("HttpOnly")
        .contains("SameSite=Strict")
        .doesNotContain(Api.LOCAL_TOKEN);
    String session = signedIn.getCookie("trainyard_session");

    given().cookie("trainyard_session", session).get("/api/v1/runs").then().statusCode(200);
    given().cookie("trainyard_session", "forged").get("/api/v1/runs").then().statusCode(401);
    given()
        .cookie("trainyard_session", session)
        .contentType("application/json")
        .body(java.util.Map.of("template", "hello"))
        .post("/api/v1/runs")
        .then()
        .statusCode(403);
    given()
        .cookie("trainyard_session", session)
        .header("X-Trainyard-CSRF", "1")
        .contentType("application/json")
        .body(java.util.Map.of("template", "no-such-template"))
        .post("/api/v1/runs")
        .then()
        .statusCode(422); // past auth and CSRF
    assertThat(given().delete("/auth/session").getHeader("Set-Cookie"))
        .contains("trainyard_session=;")
        .contains("Max-Age=0");
  }
}
