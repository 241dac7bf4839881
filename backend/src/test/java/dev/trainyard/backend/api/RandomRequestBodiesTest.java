package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bad input at scale: 10,000 seeded random bodies to the mutating endpoints. Never a 5xx; every
 * refusal is problem+json; and no row appears that a 2xx answer does not account for.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class RandomRequestBodiesTest {
  static final int CASES = 10_000;
  static final String[] FRAGMENTS = {
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"template\"",
    "\"hello\"",
    "\"params\"",
    "\"greeting\"",
    "\"pause_seconds\"",
    "\"name\"",
    "\"uri\"",
    "\"sha256\"",
    "\"artifact\"",
    "\"reason\"",
    "\"version\"",
    "null",
    "true",
    "-1",
    "1e999",
    "99999999999999999999999",
    "\"\"",
    "\"é\\u0000\"",
    "\"file:///etc/passwd\"",
    "\"file:///tmp/../x\"",
    "\"s3://b/k\"",
    "\"" + "a".repeat(64) + "\"",
    "\"${{ params.x }}\"",
    "{\"a\": [[[[[]]]]]}",
    "\"\\ud800\""
  };

  @Inject EntityManager em;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  @Test
  void tenThousandRandomBodiesNeverCauseA5xxOrAnUnaccountedRow() {
    Random random = new Random(20261127);
    long[] before = counts();
    List<String> failures = new ArrayList<>();
    int created = 0;
    for (int i = 0; i < CASES; i++) {
      String body = randomBody(random);
      Response response =
          switch (i % 6) {
            case 0, 1 ->
                given()
                    .contentType("application/json")
                    .body(body.getBytes(StandardCharsets.UTF_8))
                    .post("/api/v1/runs");
            case 2 ->
                given()
                    .contentType("application/yaml")
                    .body(body.getBytes(StandardCharsets.UTF_8))
                    .post("/api/v1/templates");
            case 3 ->
                given()
                    .contentType("application/json")
                    .body(body.getBytes(StandardCharsets.UTF_8))
                    .post("/api/v1/datasets");
            case 4 ->
                given()
                    .contentType("application/json")
                    .body(body.getBytes(StandardCharsets.UTF_8))
                    .put("/api/v1/aliases/fuzz");
            default ->
                given()
                    .contentType("application/json")
                    .body(body.getBytes(StandardCharsets.UTF_8))
                    .post("/api/v1/runs/run-nope/cancel");
          };
      int status = response.statusCode();
      if (status >= 500) {
        failures.add(status + " for case " + i + ": " + body);
      } else if (status >= 400
          && !String.valueOf(response.contentType()).startsWith("application/problem+json")) {
        failures.add(status + " without problem+json for case " + i + ": " + body);
      } else if (status == 201) {
        created++;
      }
    }
    long[] after = counts();
    assertThat(failures).as("bodies answered with a 5xx or a non-problem error").isEmpty();
    // Only a valid launch (201) may add a run; nothing else may change these tables.
    assertThat(after[0] - before[0]).isLessThanOrEqualTo(created);
    assertThat(after[1]).as("templates").isEqualTo(before[1]);
    assertThat(after[2]).as("artifacts").isEqualTo(before[2]);
    assertThat(after[3]).as("aliases").isEqualTo(before[3]);
  }

  private long[] counts() {
    // Artifacts registered directly (datasets); those of valid runs (201s) come from their steps.
    return new long[] {
      count("run"),
      count("template_version"),
      count("artifact WHERE run_id IS NULL"),
      count("alias")
    };
  }

  private long count(String table) {
    return ((Number) em.createNativeQuery("SELECT count(*) FROM " + table).getSingleResult())
        .longValue();
  }

  private static String randomBody(Random random) {
    StringBuilder body = new StringBuilder();
    if (random.nextInt(4) == 0) {
      // Nearly valid launches of the bundled template with random parameter values.
      body.append("{\"template\": \"hello\", \"params\": {\"pause_seconds\": ")
          .append(FRAGMENTS[random.nextInt(FRAGMENTS.length)])
          .append(", \"greeting\": ")
          .append(FRAGMENTS[random.nextInt(FRAGMENTS.length)])
          .append("}}");
    } else {
      int parts = random.nextInt(12);
      for (int p = 0; p < parts; p++) {
        body.append(FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
      }
    }
    if (random.nextInt(10) == 0 && body.length() > 0) {
      body.setLength(random.nextInt(body.length())); // truncated
    }
    return body.toString();
  }
}
