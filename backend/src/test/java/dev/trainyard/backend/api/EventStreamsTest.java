package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 M4: event streams hold no request thread, and each caller may hold only so many. The
 * profile sets the cap to the probe's 205, so one test shows both: 205 open streams leave {@code
 * GET /runs} answering, and the 206th stream is refused with 429.
 */
@QuarkusTest
@TestProfile(EventStreamsTest.Cap205.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class EventStreamsTest {
  static final int STREAMS = 205;

  public static class Cap205 implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("trainyard.events.max-streams-per-caller", String.valueOf(STREAMS));
    }
  }

  @TestHTTPResource("/")
  URI base;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  /** Opens a stream and waits for its first event; the body stays open until closed. */
  private InputStream openStream(String runId) throws Exception {
    HttpResponse<InputStream> response =
        http.send(
            HttpRequest.newBuilder(base.resolve("/api/v1/runs/" + runId + "/events"))
                .header("Authorization", "Bearer " + Api.LOCAL_TOKEN)
                .header("Accept", "text/event-stream")
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    String line;
    while ((line = reader.readLine()) != null && !line.startsWith("data:")) {
      // skip to the first event
    }
    assertThat(line).as("first event").startsWith("data:").contains(runId);
    return response.body();
  }

  private long[] runsListLatenciesMillis(int count) {
    long[] millis = new long[count];
    for (int i = 0; i < count; i++) {
      long start = System.nanoTime();
      given().get("/api/v1/runs?limit=20").then().statusCode(200);
      millis[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }
    Arrays.sort(millis);
    return millis;
  }

  @Test
  void whileTheCapOf205StreamsIsOpenTheRunsListAnswersAndOneMoreStreamIs429() throws Exception {
    String runId = Api.launch("hello", Map.of("pause_seconds", 120)).getString("id");
    Api.awaitStepStatus(runId, "shard-0", "RUNNING", Duration.ofSeconds(60));
    long[] idle = runsListLatenciesMillis(20);
    List<CompletableFuture<InputStream>> opening = new ArrayList<>();
    try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < STREAMS; i++) {
        opening.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return openStream(runId);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                threads));
      }
      List<InputStream> open = new ArrayList<>();
      for (var future : opening) {
        open.add(future.get(120, TimeUnit.SECONDS));
      }
      try {
        long[] loaded = runsListLatenciesMillis(20);
        System.out.printf(
            "GET /runs with %d event streams open: median %d ms, max %d ms (idle: median %d ms, max %d ms)%n",
            open.size(), loaded[10], loaded[19], idle[10], idle[19]);
        assertThat(loaded[19]).as("slowest GET /runs under load, ms").isLessThan(10_000);

        HttpResponse<String> refused =
            http.send(
                HttpRequest.newBuilder(base.resolve("/api/v1/runs/" + runId + "/events"))
                    .header("Authorization", "Bearer " + Api.LOCAL_TOKEN)
                    .header("Accept", "text/event-stream")
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.body()).contains("at most 205 event streams");
      } finally {
        for (InputStream stream : open) {
          stream.close();
        }
      }
    } finally {
      given().post("/api/v1/runs/" + runId + "/cancel").then().statusCode(202);
    }
  }

  @Test
  void aClosedStreamFreesItsPlaceAndAFinishedRunEndsItsStream() throws Exception {
    String runId = Api.launch("hello", Map.of()).getString("id");
    Api.awaitStatus(runId, PipelineRunsTest.TERMINAL, Duration.ofSeconds(90));
    // A finished run: one event with its final view, then the server ends the stream.
    HttpResponse<String> ended =
        http.send(
            HttpRequest.newBuilder(base.resolve("/api/v1/runs/" + runId + "/events"))
                .header("Authorization", "Bearer " + Api.LOCAL_TOKEN)
                .header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(ended.statusCode()).isEqualTo(200);
    assertThat(ended.body().lines().filter(l -> l.startsWith("data:")).toList())
        .hasSize(1)
        .allMatch(l -> l.contains("SUCCEEDED"));
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> dev.trainyard.backend.api.runs.RunEventsTestAccess.openStreams("local") == 0);
  }
}
