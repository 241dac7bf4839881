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
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * The in-process worker's GPUs read from a recorded busy 8×H100 {@code nvidia-smi} (no GPU is
 * here): a real run leases one, and the workers page and {@code /q/metrics} show the recorded use
 * and the step holding it.
 */
@QuarkusTest
@TestProfile(RecordedGpusTest.BusyEightH100.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class RecordedGpusTest {
  private static final long MIB = 1024L * 1024L;

  public static class BusyEightH100 implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      try {
        // The workers module's recording; a stand-in prints it whatever it is asked.
        Path recording =
            Path.of("../workers/src/test/resources/gpu/busy-8xh100.csv")
                .toAbsolutePath()
                .normalize();
        Path standIn = Files.createTempDirectory("recorded-gpus").resolve("nvidia-smi");
        Files.writeString(standIn, "#!/bin/sh\nexec cat '" + recording + "'\n");
        standIn.toFile().setExecutable(true);
        return Map.of(
            "trainyard.worker.nvidia-smi",
            standIn.toString(),
            "trainyard.worker.gpu-sample-interval",
            "500ms");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  @Test
  void theWorkersPageAndTheGpuSeriesShowTheRecordedUseAndTheStepHoldingTheGpu() {
    String name = "gpu-hold-" + UUID.randomUUID().toString().substring(0, 8);
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        steps:
          - id: hold
            kind: command
            resources: {gpus: 1}
            run: "echo \\"on $CUDA_VISIBLE_DEVICES\\" > $TRAINYARD_OUTPUT/gpu.txt; sleep 12"
        """
            .formatted(name));
    String runId = Api.launch(name, Map.of()).getString("id");

    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> runId.equals(workers().getString("items[0].gpus[0].step.runId")));
    JsonPath local = workers().setRootPath("items.find { it.id == 'local' }");
    assertThat(local.getList("gpus")).hasSize(8);
    assertThat(local.getString("gpusSampledAt")).isNotNull();
    assertThat(local.getList("gpuProblems")).isEmpty();
    assertThat(local.getString("gpus[0].name")).isEqualTo("NVIDIA H100 80GB HBM3");
    assertThat(local.getString("gpus[0].uuid"))
        .isEqualTo("GPU-0b2f6e1a-4c1d-9e3a-7f21-8a1c3d5e7f90");
    assertThat(local.getDouble("gpus[0].utilizationRatio")).isEqualTo(1.0);
    assertThat(local.getLong("gpus[0].memoryUsedBytes")).isEqualTo(76214 * MIB);
    assertThat(local.getLong("gpus[0].memoryTotalBytes")).isEqualTo(81559 * MIB);
    assertThat(local.getInt("gpus[0].temperatureCelsius")).isEqualTo(68);
    assertThat(local.getBoolean("gpus[0].leased")).isTrue();
    assertThat(local.getString("gpus[0].step.stepId")).isEqualTo("hold");
    assertThat(local.getInt("gpus[0].step.attempt")).isEqualTo(1);
    assertThat(local.getDouble("gpus[3].utilizationRatio")).isEqualTo(0.97);
    assertThat(local.getBoolean("gpus[1].leased")).isFalse();
    assertThat(local.getString("gpus[1].step")).isNull();

    List<RunMetricsTest.Sample> series = RunMetricsTest.scrape();
    Map<String, String> gpu0 = Map.of("worker", "local", "gpu", "0");
    assertThat(RunMetricsTest.value(series, "trainyard_gpu_utilization_ratio", gpu0))
        .isEqualTo(1.0);
    assertThat(
            RunMetricsTest.value(
                series, "trainyard_gpu_utilization_ratio", Map.of("worker", "local", "gpu", "3")))
        .isEqualTo(0.97);
    assertThat(RunMetricsTest.value(series, "trainyard_gpu_memory_used_bytes", gpu0))
        .isEqualTo(76214.0 * MIB);
    assertThat(RunMetricsTest.value(series, "trainyard_gpu_memory_total_bytes", gpu0))
        .isEqualTo(81559.0 * MIB);
    assertThat(RunMetricsTest.value(series, "trainyard_gpu_temperature_celsius", gpu0))
        .isEqualTo(68.0);
    assertThat(RunMetricsTest.value(series, "trainyard_gpu_leased", gpu0)).isEqualTo(1.0);
    assertThat(
            RunMetricsTest.value(
                series, "trainyard_gpu_leased", Map.of("worker", "local", "gpu", "1")))
        .isZero();
    assertThat(series)
        .filteredOn(s -> s.name().equals("trainyard_gpu_utilization_ratio"))
        .hasSize(8);

    assertThat(
            Api.awaitStatus(runId, RunMetricsTest.TERMINAL, Duration.ofSeconds(60))
                .getString("status"))
        .isEqualTo("SUCCEEDED");
    // The lease ends with the step: the next sample shows the GPU free.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> workers().getString("items[0].gpus[0].step") == null);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                RunMetricsTest.value(RunMetricsTest.scrape(), "trainyard_gpu_leased", gpu0) == 0.0);
  }

  @Test
  void everyGpuPanelOfTheGrafanaDashboardQueriesSeriesTheBackendExposes() throws Exception {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                RunMetricsTest.names(RunMetricsTest.scrape())
                    .contains("trainyard_gpu_utilization_ratio"));
    Set<String> exposed = RunMetricsTest.names(RunMetricsTest.scrape());
    JsonNode dashboard = new ObjectMapper().readTree(RunMetricsTest.DASHBOARD.toFile());
    List<String> exprs = new ArrayList<>();
    dashboard
        .path("panels")
        .forEach(p -> p.path("targets").forEach(t -> exprs.add(t.path("expr").asText())));
    Set<String> queried = new TreeSet<>();
    Matcher m = Pattern.compile("\\btrainyard_gpu_[a-z_]+").matcher(String.join("\n", exprs));
    while (m.find()) {
      queried.add(m.group());
    }
    assertThat(queried)
        .contains("trainyard_gpu_utilization_ratio", "trainyard_gpu_memory_used_bytes");
    assertThat(exposed).containsAll(queried);
  }

  private static JsonPath workers() {
    return given().get("/api/v1/workers").then().statusCode(200).extract().jsonPath();
  }
}
