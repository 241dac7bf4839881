package dev.trainyard.backend.security;

import static io.restassured.RestAssured.given;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.Map;
import java.util.UUID;

/**
 * Team mode against the real Keycloak that {@code infra/scripts/keycloak.sh start} runs (the test
 * command starts it; {@code TRAINYARD_TEST_KEYCLOAK} overrides its URL).
 */
public class KeycloakProfile implements QuarkusTestProfile {
  public static String keycloak() {
    String url = System.getenv("TRAINYARD_TEST_KEYCLOAK");
    return url == null || url.isBlank() ? "http://127.0.0.1:18180" : url;
  }

  public static String realm() {
    return keycloak() + "/realms/trainyard";
  }

  /**
   * Fails (never skips) when the realm does not answer: these tests are the authorization checks of
   * team mode, and a run without them must not look green.
   */
  public static void requireRunning() {
    String url = realm() + "/.well-known/openid-configuration";
    int status;
    try {
      HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
      connection.setConnectTimeout(2000);
      status = connection.getResponseCode();
    } catch (Exception e) {
      status = -1;
    }
    if (status != 200) {
      throw new IllegalStateException(
          "Keycloak is not running at "
              + keycloak()
              + " (GET "
              + url
              + " gave "
              + (status < 0 ? "no answer" : status)
              + "); start it with `bash infra/scripts/keycloak.sh start` (./trainyard test does)");
    }
  }

  /** An access token for one of the realm's test users (password {@code <user>-pass}). */
  public static String passwordToken(String user) {
    return given()
        .formParam("grant_type", "password")
        .formParam("client_id", "trainyard-web")
        .formParam("username", user)
        .formParam("password", user + "-pass")
        .post(realm() + "/protocol/openid-connect/token")
        .then()
        .statusCode(200)
        .extract()
        .path("access_token");
  }

  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of(
        "trainyard.auth.mode", "oidc",
        "quarkus.oidc.tenant-enabled", "true",
        "quarkus.oidc.auth-server-url", realm(),
        "quarkus.oidc.client-id", "trainyard-web",
        "quarkus.oidc.token.audience", "trainyard-api",
        "quarkus.oidc.authentication.pkce-required", "true",
        // A fresh secret per test run: it encrypts the PKCE verifier in the state cookie.
        "quarkus.oidc.authentication.state-secret",
            UUID.randomUUID() + UUID.randomUUID().toString());
  }
}
