package dev.trainyard.backend.observability;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * After a real {@code hello} run, {@code /q/metrics} carries its attempts, durations, grant waits,
 * ledger writes and the runs gauge, with values matching the run; the Grafana dashboard queries
 * only series that endpoint exposes.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class RunMetricsTest {
  static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");
  static final Path DASHBOARD = Path.of("../infra/grafana/trainyard-dashboard.json");
  static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
  static final Pattern LABEL = Pattern.compile("([a-zA-Z_]+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** One sample line of the Prometheus text format. */
  record Sample(String name, Map<String, String> labels, double value) {}

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  @Test
  void aHelloRunShowsUpInTheRunStepAndLedgerSeries() {
    List<Sample> before = scrape();
    // A greeting of its own: no step is a cache hit of an earlier run.
    String runId =
        Api.launch("hello", Map.of("greeting", "metrics " + UUID.randomUUID())).getString("id");
    JsonPath run = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(90));
    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    List<String> kinds = run.getList("steps.kind");
    assertThat(run.getList("steps.status", String.class)).containsOnly("SUCCEEDED");
    int attempts = kinds.size(); // greet, three shards, join: one attempt each
    assertThat(attempts).isEqualTo(5);
    assertThat(Set.copyOf(kinds)).containsExactly("command");

    // The runs gauge is cached for a few seconds: it shows the run once the cache expires.
    double succeededBefore = value(before, "trainyard_runs", Map.of("status", "SUCCEEDED"));
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                value(scrape(), "trainyard_runs", Map.of("status", "SUCCEEDED"))
                    == succeededBefore + 1);
    List<Sample> after = scrape();

    Map<String, String> succeeded = Map.of("kind", "command", "status", "SUCCEEDED");
    assertThat(delta(before, after, "trainyard_step_attempts_total", succeeded))
        .isEqualTo(attempts);
    assertThat(pools(after, "trainyard_step_attempts_total", succeeded)).contains("default");
    assertThat(
            delta(
                before,
                after,
                "trainyard_step_attempts_total",
                Map.of("kind", "command", "pool", "default", "status", "SUCCEEDED")))
        .isEqualTo(attempts);
    assertThat(delta(before, after, "trainyard_step_attempts_total", Map.of("status", "FAILED")))
        .isZero();
    Map<String, String> command = Map.of("kind", "command");
    assertThat(delta(before, after, "trainyard_step_duration_seconds_count", command))
        .isEqualTo(attempts);
    assertThat(delta(before, after, "trainyard_step_duration_seconds_sum", command)).isPositive();
    // Every attempt falls in some bucket: the +Inf bucket counts all of them.
    assertThat(
            delta(
                before,
                after,
                "trainyard_step_duration_seconds_bucket",
                Map.of("kind", "command", "le", "+Inf")))
        .isEqualTo(attempts);
    assertThat(delta(before, after, "trainyard_step_grant_wait_seconds_count", command))
        .isEqualTo(attempts);
    assertThat(
            delta(
                before,
                after,
                "trainyard_ledger_write_seconds_count",
                Map.of("op", "beginAttempt")))
        .isEqualTo(attempts);
    assertThat(
            delta(
                before,
                after,
                "trainyard_ledger_write_seconds_count",
                Map.of("op", "attemptSucceeded")))
        .isEqualTo(attempts);
    assertThat(
            delta(
                before, after, "trainyard_ledger_write_seconds_count", Map.of("op", "runFinished")))
        .isEqualTo(1);
    assertThat(names(after)).contains("trainyard_runs_live");
    // Labels stay low-cardinality: no run id anywhere in the series.
    assertThat(after)
        .filteredOn(s -> s.name().startsWith("trainyard_"))
        .allSatisfy(s -> assertThat(s.labels().values()).doesNotContain(runId));
  }

  @Test
  void everyPanelOfTheGrafanaDashboardQueriesSeriesTheBackendExposes() throws Exception {
    // Run after (or alongside) a run, so the per-kind series exist; a fresh JVM gets one here.
    if (!names(scrape()).contains("trainyard_step_attempts_total")) {
      String runId =
          Api.launch("hello", Map.of("greeting", "dash " + UUID.randomUUID())).getString("id");
      Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(90));
    }
    Set<String> exposed = names(scrape());
    JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
    assertThat(dashboard.path("title").asText()).isNotBlank();
    List<String> exprs = new ArrayList<>();
    dashboard
        .path("panels")
        .forEach(p -> p.path("targets").forEach(t -> exprs.add(t.path("expr").asText())));
    assertThat(exprs).isNotEmpty().doesNotContain("");
    Set<String> queried = new TreeSet<>();
    Matcher m = Pattern.compile("\\btrainyard_[a-z_]+").matcher(String.join("\n", exprs));
    while (m.find()) {
      queried.add(m.group());
    }
    // GPU series exist only where a worker has GPUs: RecordedGpusTest checks those panels.
    queried.removeIf(name -> name.startsWith("trainyard_gpu_"));
    assertThat(queried).isNotEmpty();
    assertThat(exposed).containsAll(queried);
  }

  static List<Sample> scrape() {
    String text = given().get("/q/metrics").then().statusCode(200).extract().asString();
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (line.startsWith("#") || !m.matches()) {
        continue;
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
    }
    return samples;
  }

  static Set<String> names(List<Sample> samples) {
    Set<String> names = new TreeSet<>();
    samples.forEach(s -> names.add(s.name()));
    return names;
  }

  /** The sum of the samples of {@code name} whose labels include {@code labels}. */
  static double value(List<Sample> samples, String name, Map<String, String> labels) {
    return samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
        .mapToDouble(Sample::value)
        .sum();
  }

  static double delta(
      List<Sample> before, List<Sample> after, String name, Map<String, String> labels) {
    return value(after, name, labels) - value(before, name, labels);
  }

  static Set<String> pools(List<Sample> samples, String name, Map<String, String> labels) {
    Set<String> pools = new TreeSet<>();
    samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
        .forEach(s -> pools.add(s.labels().get("pool")));
    return pools;
  }
}
