package dev.trainyard.backend.security;

import io.quarkus.test.junit.QuarkusTestProfile;
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
