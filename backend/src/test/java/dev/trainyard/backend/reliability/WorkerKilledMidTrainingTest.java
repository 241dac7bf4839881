package dev.trainyard.backend.reliability;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.backend.temporal.TemporalRuntime;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * Team topology on one machine: the backend (with the Temporal service) in this JVM, two standalone
 * worker processes ({@code java -jar trainyard-worker.jar}). The worker running a training step is
 * killed with SIGKILL; the step is retried on the other worker and resumes from its last
 * intermediate checkpoint. The catalog afterwards holds every row exactly once.
 */
@QuarkusTest
@TestProfile(WorkerKilledMidTrainingTest.RemoteWorkers.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class WorkerKilledMidTrainingTest {
  static final Path WORKER_JAR =
      Path.of("../workers/target/trainyard-worker.jar").toAbsolutePath().normalize();

  public static class RemoteWorkers implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "trainyard.worker.embedded", "false", "trainyard.home", "target/trainyard-fault-home");
    }
  }

  @Inject TemporalRuntime temporal;
  @Inject TrainyardConfig config;
  @Inject EntityManager em;

  private final List<Process> workers = new ArrayList<>();

  @AfterEach
  void stopWorkers() {
    workers.forEach(Process::destroyForcibly);
  }

  @Test
  void aWorkerKilledMidTrainingLosesAtMostOneCheckpointIntervalAndTheCatalogHoldsEveryRowOnce()
      throws Exception {
    Assertions.assertTrue(
        Files.isRegularFile(WORKER_JAR), "build the worker jar first (mvn package)");
    Process torch = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").start();
    Assertions.assertTrue(torch.waitFor() == 0, "Debian's python3-torch is not installed");
    Api.signIn();
    Path root = config.home().toAbsolutePath();
    for (int i = 0; i < 2; i++) {
      var tls = temporal.clientTls().orElseThrow();
      workers.add(
          new ProcessBuilder(
                  javaBin(),
                  "-jar",
                  WORKER_JAR.toString(),
                  "--temporal",
                  temporal.target(),
                  "--tls-cert",
                  tls.cert().toString(),
                  "--tls-key",
                  tls.key().toString(),
                  "--tls-ca",
                  tls.ca().toString(),
                  "--task-key",
                  root.resolve("keys/task-signing.pub").toString(),
                  "--pool",
                  "default",
                  "--root",
                  root.toString(),
                  "--termination-grace",
                  "2")
              .redirectErrorStream(true)
              .redirectOutput(root.resolve("worker-" + i + ".log").toFile())
              .start());
    }
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: resumable
        steps:
          - id: data
            kind: command
            run: PYTHONPATH="$TRAINYARD_TRAINER_PYTHONPATH" "$TRAINYARD_PYTHON" -m trainyard_trainer.datasets --out "$TRAINYARD_OUTPUT" --seed 3
          - id: train
            kind: pretrain
            model: tiny
            data: ${{ steps.data.outputs.output }}
            retry: {max_attempts: 2, backoff_seconds: 0}
            config: {max_steps: 300, batch_size: 8, seq_len: 32, lr: 3.0e-3, checkpoint_every: 20, seed: 3}
        """);
    String runId = Api.launch("resumable", Map.of()).getString("id");
    Path checkpoints =
        root.resolve("work")
            .resolve(runId)
            .resolve("train")
            .resolve("attempt-1")
            .resolve("checkpoints");
    Awaitility.await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> Files.isDirectory(checkpoints.resolve("step-60")));

    ProcessHandle trainer =
        ProcessHandle.allProcesses()
            .filter(
                p ->
                    p.info()
                        .commandLine()
                        .map(c -> c.contains("trainyard_trainer") && c.contains(runId))
                        .orElse(false))
            .findFirst()
            .orElseThrow();
    // The worker JVM, not the trainer's parent: a step runs under the init of its own PID
    // namespace.
    ProcessHandle owner = trainer;
    while (!owner.info().commandLine().map(c -> c.contains("trainyard-worker.jar")).orElse(false)) {
      owner = owner.parent().orElseThrow();
    }
    int killedAt = newestCheckpoint(checkpoints).orElseThrow();
    owner.destroyForcibly(); // SIGKILL: no shutdown hook, no chance to stop its step
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !trainer.isAlive());

    JsonPath run =
        Api.awaitStatus(runId, Set.of("SUCCEEDED", "FAILED", "CANCELLED"), Duration.ofMinutes(4));
    assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
    assertThat(run.getList("steps.find { it.id == 'train' }.attempts.status", String.class))
        .containsExactly("FAILED", "SUCCEEDED");
    assertThat(run.getString("steps.find { it.id == 'train' }.attempts[0].error"))
        .contains("heartbeat");
    String log =
        given()
            .queryParam("attempt", 2)
            .get("/api/v1/runs/" + runId + "/steps/train/log")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    Matcher resumed = Pattern.compile("resumed from .*step-(\\d+)").matcher(log);
    assertThat(resumed.find()).as(log).isTrue();
    assertThat(Integer.parseInt(resumed.group(1))).isGreaterThanOrEqualTo(killedAt);
    assertThat(Integer.parseInt(resumed.group(1))).isGreaterThan(0);

    assertThat(count("SELECT count(*) FROM step WHERE run_id = ?1", runId)).isEqualTo(2);
    assertThat(count("SELECT count(*) FROM step_attempt WHERE run_id = ?1", runId)).isEqualTo(3);
    assertThat(count("SELECT count(*) FROM step_output WHERE run_id = ?1", runId)).isEqualTo(2);
    assertThat(count("SELECT count(*) FROM artifact WHERE run_id = ?1", runId)).isEqualTo(2);
    assertThat(
            count(
                "SELECT count(*) FROM lineage_edge WHERE from_node LIKE ?1 OR to_node LIKE ?1",
                "%" + runId + "%"))
        .isEqualTo(
            3); // data#1 → data; data → train#2; train#2 → model (the killed attempt recorded none)
  }

  private long count(String sql, String arg) {
    return ((Number) em.createNativeQuery(sql).setParameter(1, arg).getSingleResult()).longValue();
  }

  private static Optional<Integer> newestCheckpoint(Path dir) throws java.io.IOException {
    try (var entries = Files.list(dir)) {
      return entries
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("step-\\d+"))
          .map(n -> Integer.parseInt(n.substring(5)))
          .max(Integer::compare);
    }
  }

  private static String javaBin() {
    return ProcessHandle.current().info().command().orElse("java");
  }
}
