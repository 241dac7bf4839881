package dev.trainyard.backend.reliability;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.api.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The artifact store runs out of space, then is read-only: the step fails with a message that says
 * so, no artifact row, output or lineage edge is recorded and nothing partial is left in the store;
 * once the volume has room (or is writable) again, retrying the run stores the output.
 */
@QuarkusTest
@TestProfile(StoreVolume.Profile.class)
class ArtifactStoreFullTest {
  static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");
  static final long OUTPUT_BYTES = 24_000_000; // more than the 16 MiB store volume holds

  @Inject EntityManager em;

  @BeforeEach
  void setUp() {
    Assertions.assertTrue(
        StoreVolume.mounted(), "needs root to mount a small tmpfs as the store volume");
    Api.signIn();
  }

  static final String TEMPLATE =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: %s
      params:
        tag: {type: string, default: "a"}
      steps:
        - id: write
          kind: command
          output_type: checkpoint
          retry: {max_attempts: 1}
          run: |
            %s
            echo '{}' > "$TRAINYARD_OUTPUT/config.json"
            echo "$TRAINYARD_PARAM_TAG" > "$TRAINYARD_OUTPUT/tag.txt"
      """;

  /**
   * Shell that writes a valid safetensors file of exactly {@code bytes} bytes (one U8 tensor of
   * zeros): the worker checks a checkpoint's headers before storing it.
   */
  static String safetensorsOfSize(long bytes, String path) {
    int headerBytes = 72;
    long data = bytes - 8 - headerBytes;
    String header =
        "{\"w\":{\"dtype\":\"U8\",\"shape\":[" + data + "],\"data_offsets\":[0," + data + "]}}";
    header = header + " ".repeat(headerBytes - header.length());
    return "{ printf '\\%o\\0\\0\\0\\0\\0\\0\\0'; printf '%%s' '%s'; head -c %d /dev/zero; } > %s"
        .formatted(headerBytes, header, data, path);
  }

  long count(String sql, String runId) {
    return ((Number) em.createNativeQuery(sql).setParameter(1, runId).getSingleResult())
        .longValue();
  }

  void assertNothingRecorded(String runId) throws IOException {
    assertThat(count("SELECT count(*) FROM artifact WHERE run_id = ?1", runId)).isZero();
    assertThat(count("SELECT count(*) FROM step_output WHERE run_id = ?1", runId)).isZero();
    assertThat(
            count(
                "SELECT count(*) FROM lineage_edge WHERE starts_with(from_node, 'step:' || ?1 || '/')",
                runId))
        .isZero();
    try (Stream<Path> staging = Files.list(StoreVolume.HOME.resolve("tmp"))) {
      assertThat(staging).as("no partial copy left in the store's staging area").isEmpty();
    }
  }

  JsonPath failedRun(String template, String tag, String expectedError) throws IOException {
    String runId = Api.launch(template, Map.of("tag", tag)).getString("id");
    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(60));
    assertThat(run.getString("status")).isEqualTo("FAILED");
    String error = run.getString("steps[0].attempts[0].error");
    assertThat(error).contains("could not store its output", expectedError);
    assertNothingRecorded(runId);
    return run;
  }

  void retrySucceeds(String runId) {
    given().post("/api/v1/runs/" + runId + "/retry").then().statusCode(202);
    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(60));
    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(run.getList("steps[0].attempts.status", String.class))
        .containsExactly("FAILED", "SUCCEEDED");
    String artifactId = run.getString("steps[0].outputs.output.artifactId");
    String uri =
        given().get("/api/v1/artifacts/" + artifactId).then().statusCode(200).extract().path("uri");
    assertThat(Path.of(URI.create(uri)).resolve("model.safetensors")).hasSize(OUTPUT_BYTES);
    assertThat(count("SELECT count(*) FROM artifact WHERE run_id = ?1", runId)).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM step_output WHERE run_id = ?1", runId)).isEqualTo(1);
  }

  @Test
  void aFullStoreThenAReadOnlyStoreFailTheStepCleanlyAndARetryAfterTheFixStoresTheOutput()
      throws Exception {
    String template = "store-full";
    Api.createTemplate(
        TEMPLATE.formatted(
            template, safetensorsOfSize(OUTPUT_BYTES, "\"$TRAINYARD_OUTPUT/model.safetensors\"")));

    JsonPath full = failedRun(template, "full", "No space left on device");
    StoreVolume.remount("size=64m");
    retrySucceeds(full.getString("id"));

    StoreVolume.remount("ro");
    try {
      JsonPath readOnly = failedRun(template, "ro", "Read-only file system");
      StoreVolume.remount("rw");
      retrySucceeds(readOnly.getString("id"));
    } finally {
      StoreVolume.remount("rw");
    }
  }
}
