package dev.trainyard.backend.openlineage;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import io.openlineage.client.OpenLineage.RunEvent;
import io.openlineage.client.OpenLineage.RunEvent.EventType;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Runs emit OpenLineage events through both of the client's transports: a file, and HTTP to a
 * receiver in this test standing in for Marquez ({@code POST /api/v1/lineage}). Every event is read
 * back through the client's model and checked for the spec's required fields.
 */
@QuarkusTest
@TestProfile(OpenLineageEventsTest.FileAndHttp.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenLineageEventsTest {
  static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");
  static final String API_KEY = "marquez-key-" + UUID.randomUUID();

  /** The receiver: what it was sent, and whether it answers at once or hangs. */
  static final List<Received> RECEIVED = Collections.synchronizedList(new ArrayList<>());

  static volatile boolean hang;
  static volatile String helloRun;

  @jakarta.inject.Inject OpenLineageEmitter emitter;
  static HttpServer receiver;
  static Path eventsFile;

  record Received(String path, String authorization, String body) {}

  public static class FileAndHttp implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      try {
        startReceiver();
        Path dir = Files.createTempDirectory("openlineage-test");
        eventsFile = dir.resolve("events.jsonl");
        Path keyFile = dir.resolve("api-key");
        Files.writeString(keyFile, API_KEY + "\n");
        return Map.of(
            "trainyard.openlineage.transport",
            "http,file",
            "trainyard.openlineage.http.url",
            "http://127.0.0.1:" + receiver.getAddress().getPort(),
            "trainyard.openlineage.http.api-key-file",
            keyFile.toString(),
            "trainyard.openlineage.http.timeout-millis",
            "1500",
            "trainyard.openlineage.file.path",
            eventsFile.toString(),
            "trainyard.openlineage.dataset-namespace",
            "trainyard://test");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  static synchronized void startReceiver() throws IOException {
    if (receiver != null) {
      return;
    }
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.setExecutor(Executors.newCachedThreadPool());
    receiver.createContext(
        "/",
        exchange -> {
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          if (hang) {
            try {
              Thread.sleep(30_000);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          } else {
            RECEIVED.add(
                new Received(
                    exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    body));
          }
          exchange.sendResponseHeaders(201, -1);
          exchange.close();
        });
    receiver.start();
  }

  @BeforeEach
  void signIn() {
    Api.signIn();
    hang = false;
  }

  @Test
  @Order(1)
  void everyAttemptOfAHelloRunGoesOutAsStartRunningCompleteToTheFileAndToMarquezsApi()
      throws Exception {
    // A greeting of its own: no step is a cache hit of an earlier run.
    String runId =
        Api.launch("hello", Map.of("greeting", "lineage " + UUID.randomUUID())).getString("id");
    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(90));
    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    helloRun = runId;

    List<String> stored = awaitEvents(runId, 15);
    List<RunEvent> events = stored.stream().map(OpenLineageChecks::parsedAndComplete).toList();
    Map<String, List<EventType>> byJob = new LinkedHashMap<>();
    Map<String, Set<UUID>> runIdsByJob = new LinkedHashMap<>();
    for (RunEvent e : events) {
      assertThat(e.getJob().getNamespace()).isEqualTo("trainyard");
      byJob.computeIfAbsent(e.getJob().getName(), k -> new ArrayList<>()).add(e.getEventType());
      runIdsByJob
          .computeIfAbsent(e.getJob().getName(), k -> new java.util.HashSet<>())
          .add(e.getRun().getRunId());
      // The parent is the pipeline run: job <template>, id derived from the run id.
      var parent = e.getRun().getFacets().getParent();
      assertThat(parent.getJob().getName()).isEqualTo("hello");
      assertThat(parent.getRun().getRunId())
          .isEqualTo(
              UUID.nameUUIDFromBytes(
                  ("trainyard:trainyard:run:" + runId).getBytes(StandardCharsets.UTF_8)));
      assertThat(e.getJob().getFacets().getSourceCode().getSourceCode())
          .contains("name: hello")
          .contains("id: shard");
    }
    assertThat(byJob.keySet())
        .containsExactlyInAnyOrder(
            "hello.greet", "hello.shard-0", "hello.shard-1", "hello.shard-2", "hello.join");
    // Each attempt: START, then RUNNING, then COMPLETE, under one run id.
    byJob
        .values()
        .forEach(
            types ->
                assertThat(types)
                    .containsExactly(EventType.START, EventType.RUNNING, EventType.COMPLETE));
    runIdsByJob.values().forEach(ids -> assertThat(ids).hasSize(1));
    assertThat(runIdsByJob.values().stream().flatMap(Set::stream).distinct()).hasSize(5);

    // Event times are the ledger's: START at the attempt's start, COMPLETE at its finish.
    RunEvent joinComplete = only(events, "hello.join", EventType.COMPLETE);
    RunEvent joinStart = only(events, "hello.join", EventType.START);
    assertThat(joinComplete.getEventTime().toInstant())
        .isEqualTo(
            OffsetDateTime.parse(
                    run.getString("steps.find { it.id == 'join' }.attempts[0].finishedAt"))
                .toInstant());
    assertThat(joinStart.getEventTime()).isBeforeOrEqualTo(joinComplete.getEventTime());

    // Datasets: the join read the three shards' outputs and wrote its report, named by content.
    String joinOutput = run.getString("steps.find { it.id == 'join' }.outputs.output.artifactId");
    assertThat(joinComplete.getOutputs()).hasSize(1);
    var output = joinComplete.getOutputs().get(0);
    assertThat(output.getNamespace()).isEqualTo("trainyard://test");
    assertThat(output.getName()).isEqualTo("files/" + joinOutput);
    assertThat(output.getFacets().getVersion().getDatasetVersion()).isEqualTo(joinOutput);
    JsonPath artifact =
        given().get("/api/v1/artifacts/" + joinOutput).then().statusCode(200).extract().jsonPath();
    assertThat(output.getOutputFacets().getOutputStatistics().getSize())
        .isEqualTo(artifact.getLong("sizeBytes"));
    assertThat(output.getOutputFacets().getOutputStatistics().getFileCount()).isEqualTo(2L);
    List<String> shardOutputs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      shardOutputs.add(
          "files/"
              + run.getString(
                  "steps.find { it.id == 'shard-" + i + "' }.outputs.output.artifactId"));
    }
    assertThat(joinComplete.getInputs().stream().map(d -> d.getName()))
        .containsExactlyInAnyOrderElementsOf(shardOutputs);
    assertThat(only(events, "hello.join", EventType.START).getInputs()).hasSize(3);
    assertThat(only(events, "hello.greet", EventType.START).getInputs()).isEmpty();

    // The file and the receiver got exactly the stored events, in the same order.
    List<JsonNode> expected = stored.stream().map(OpenLineageChecks::tree).toList();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(ofRun(Files.readAllLines(eventsFile), runId)).isEqualTo(expected));
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(ofRun(receivedBodies(), runId)).isEqualTo(expected));
    synchronized (RECEIVED) {
      assertThat(RECEIVED)
          .allSatisfy(
              r -> {
                assertThat(r.path()).isEqualTo("/api/v1/lineage");
                assertThat(r.authorization()).isEqualTo("Bearer " + API_KEY);
              });
    }
  }

  @Test
  @Order(2)
  void aRetriedLedgerCallStoresAndSendsNothingTwice() throws Exception {
    assertThat(helloRun).as("the hello run of the first test").isNotNull();
    int fileLines = ofRun(Files.readAllLines(eventsFile), helloRun).size();
    // What a local activity retried after its commit does: the same hooks again.
    emitter.attemptStarted(helloRun, "join", 1);
    emitter.attemptRunning(helloRun, "join", 1);
    emitter.attemptCompleted(helloRun, "join", 1);
    // A marker behind them on the same queues: once it is out, the repeats were handled.
    String marker =
        Api.launch("hello", Map.of("greeting", "after " + UUID.randomUUID())).getString("id");
    Api.awaitStatus(marker, TERMINAL, Duration.ofSeconds(90));
    awaitEvents(marker, 15);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> ofRun(Files.readAllLines(eventsFile), marker).size() == 15);

    assertThat(awaitEvents(helloRun, 15)).hasSize(15);
    assertThat(ofRun(Files.readAllLines(eventsFile), helloRun)).hasSize(fileLines);
    assertThat(ofRun(receivedBodies(), helloRun)).hasSize(15);
  }

  @Test
  @Order(3)
  void aRegisteredJsonlDatasetIsReadAsADatasetWithItsHashSizeAndSchema() throws Exception {
    Path data = Files.createTempDirectory("ol-data").resolve("train.jsonl");
    Files.writeString(data, "{\"text\": \"one\"}\n{\"text\": \"two\"}\n");
    String dataset = "ol-corpus-" + UUID.randomUUID().toString().substring(0, 8);
    String datasetId =
        given()
            .contentType(ContentType.JSON)
            .body(Map.of("name", dataset, "uri", data.toUri().toString()))
            .post("/api/v1/datasets")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    String name = "ol-reads-" + (System.nanoTime() % 100000);
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        params:
          corpus: {type: dataset}
        steps:
          - id: count
            kind: command
            inputs: {corpus: "${{ params.corpus }}"}
            run: "ls -R \\"$TRAINYARD_INPUT_CORPUS\\" > $TRAINYARD_OUTPUT/listing.txt"
        """
            .formatted(name));
    String runId = Api.launch(name, Map.of("corpus", dataset)).getString("id");
    assertThat(Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(60)).getString("status"))
        .isEqualTo("SUCCEEDED");

    List<RunEvent> events =
        awaitEvents(runId, 3).stream().map(OpenLineageChecks::parsedAndComplete).toList();
    for (RunEvent event : events) {
      assertThat(event.getInputs()).hasSize(1);
      var input = event.getInputs().get(0);
      assertThat(input.getName()).isEqualTo("dataset/" + datasetId);
      assertThat(input.getFacets().getVersion().getDatasetVersion()).isEqualTo(datasetId);
      assertThat(input.getFacets().getSchema().getFields())
          .extracting(f -> f.getName() + ":" + f.getType())
          .containsExactly("text:string");
      assertThat(input.getInputFacets().getInputStatistics().getSize()).isEqualTo(Files.size(data));
    }
  }

  @Test
  @Order(4)
  void aFailingStepEmitsFailWithItsErrorAndTheStepsAfterItEmitNothing() {
    String name = "ol-fails-" + (System.nanoTime() % 100000);
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        steps:
          - id: broken
            kind: command
            run: "echo 'no GPU today' >&2; exit 3"
          - id: after
            kind: command
            needs: [broken]
            run: "true"
        """
            .formatted(name));
    String runId = Api.launch(name, Map.of()).getString("id");
    assertThat(Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(60)).getString("status"))
        .isEqualTo("FAILED");

    List<RunEvent> events =
        awaitEvents(runId, 3).stream().map(OpenLineageChecks::parsedAndComplete).toList();
    assertThat(events.stream().map(RunEvent::getEventType))
        .containsExactly(EventType.START, EventType.RUNNING, EventType.FAIL);
    assertThat(events)
        .allSatisfy(e -> assertThat(e.getJob().getName()).isEqualTo(name + ".broken"));
    assertThat(events.get(2).getRun().getFacets().getErrorMessage().getMessage())
        .contains("exited with code 3");
  }

  @Test
  @Order(5)
  void cancellingARunEmitsAbortForTheAttemptThatWasRunning() {
    String name = "ol-cancel-" + (System.nanoTime() % 100000);
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        steps:
          - id: nap
            kind: command
            run: "sleep 300"
        """
            .formatted(name));
    String runId = Api.launch(name, Map.of()).getString("id");
    awaitEvents(runId, 2); // START and RUNNING
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("reason", "lineage test"))
        .post("/api/v1/runs/" + runId + "/cancel")
        .then()
        .statusCode(202);
    assertThat(Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(30)).getString("status"))
        .isEqualTo("CANCELLED");

    List<RunEvent> events =
        awaitEvents(runId, 3).stream().map(OpenLineageChecks::parsedAndComplete).toList();
    assertThat(events.stream().map(RunEvent::getEventType))
        .containsExactly(EventType.START, EventType.RUNNING, EventType.ABORT);
    assertThat(events.stream().map(e -> e.getRun().getRunId()).distinct()).hasSize(1);
  }

  @Test
  @Order(6)
  void aReceiverThatHangsNeitherFailsNorSlowsTheRunAndEachFailedSendIsCounted() {
    double failedBefore = failedHttpSends();
    hang = true;
    String runId =
        Api.launch("hello", Map.of("greeting", "hung " + UUID.randomUUID())).getString("id");
    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(90));

    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    // 15 sends at a 1.5 s timeout each would hold a synchronous run for 22 s or more.
    Duration took =
        Duration.between(
            OffsetDateTime.parse(run.getString("createdAt")),
            OffsetDateTime.parse(run.getString("finishedAt")));
    assertThat(took).isLessThan(Duration.ofSeconds(20));
    // Stored (and written to the file) all the same; the receiver's failures are counted.
    awaitEvents(runId, 15).forEach(OpenLineageChecks::parsedAndComplete);
    await().atMost(Duration.ofSeconds(30)).until(() -> failedHttpSends() >= failedBefore + 2);
    assertThat(ofRun(receivedBodies(), runId)).isEmpty();
  }

  @Test
  @Order(7)
  void anUnknownRunHasNoEventsToShow() {
    given().get("/api/v1/runs/no-such-run/openlineage").then().statusCode(404);
  }

  /** The run's stored events from the API, once there are {@code count}. */
  static List<String> awaitEvents(String runId, int count) {
    List<String> events = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              events.clear();
              String body =
                  given()
                      .get("/api/v1/runs/" + runId + "/openlineage")
                      .then()
                      .statusCode(200)
                      .extract()
                      .asString();
              JsonNode items = OpenLineageChecks.tree(body).path("items");
              items.forEach(i -> events.add(i.toString()));
              return events.size() >= count;
            });
    assertThat(events).hasSize(count);
    return events;
  }

  private static RunEvent only(List<RunEvent> events, String job, EventType type) {
    List<RunEvent> matching =
        events.stream()
            .filter(e -> e.getJob().getName().equals(job) && e.getEventType() == type)
            .toList();
    assertThat(matching).hasSize(1);
    return matching.get(0);
  }

  private static List<String> receivedBodies() {
    synchronized (RECEIVED) {
      return RECEIVED.stream().map(Received::body).toList();
    }
  }

  /** The events among {@code lines} whose parent is the run {@code runId}. */
  private static List<JsonNode> ofRun(List<String> lines, String runId) {
    String parent =
        UUID.nameUUIDFromBytes(
                ("trainyard:trainyard:run:" + runId).getBytes(StandardCharsets.UTF_8))
            .toString();
    return lines.stream()
        .filter(l -> !l.isBlank())
        .map(OpenLineageChecks::tree)
        .filter(e -> parent.equals(e.at("/run/facets/parent/run/runId").asText()))
        .toList();
  }

  private static double failedHttpSends() {
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    Matcher m =
        Pattern.compile(
                "trainyard_openlineage_sends_total\\{[^}]*outcome=\"failed\"[^}]*transport=\"http\"[^}]*\\} ([0-9.E+]+)")
            .matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
