package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.plan.Defaults;
import dev.trainyard.worker.gpu.GpuAllocator;
import dev.trainyard.worker.runtime.PythonRuntime;
import dev.trainyard.worker.runtime.RuntimeCheck;
import dev.trainyard.worker.store.InputCache;
import dev.trainyard.worker.store.S3ArtifactStore;
import dev.trainyard.worker.store.S3ProxyServer;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hosts that share nothing but an S3 bucket (s3proxy): each worker has its own root and its own
 * input cache. The first attempt of a training step is killed (SIGKILL) mid-training; the retry on
 * the other host resumes from the newest state the first one stored, and continues its loss curve.
 * The same holds for a team's own trainer in a {@code command} step, whose {@code checkpoint-<N>/}
 * dirs are stored the same way.
 */
class ResumeOnAnotherHostTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BUCKET = "resume-test";
  private static final String RUN = "run-elsewhere";
  private static final long MAX_STEPS = 200;
  private static final Map<String, Object> TINY =
      Map.of(
          "preset",
          "tiny",
          "hidden_size",
          32,
          "intermediate_size",
          64,
          "num_hidden_layers",
          2,
          "num_attention_heads",
          2,
          "num_key_value_heads",
          1);

  @TempDir Path tmp;
  private S3ProxyServer server;
  private final List<TestActivityEnvironment> envs = new ArrayList<>();
  private final List<S3ArtifactStore> stores = new ArrayList<>();

  @BeforeEach
  void startServer() throws Exception {
    server = S3ProxyServer.start(Files.createDirectories(tmp.resolve("s3")), BUCKET);
  }

  @AfterEach
  void tearDown() throws Exception {
    envs.forEach(TestActivityEnvironment::close);
    stores.forEach(S3ArtifactStore::close);
    server.close();
  }

  private record Host(Path root, S3ArtifactStore store, StepActivities steps) {}

  private Host host(String name) throws Exception {
    Path root = Files.createDirectories(tmp.resolve(name));
    S3ArtifactStore store =
        new S3ArtifactStore(
            server.client(),
            server.settings("s3://" + BUCKET + "/team"),
            new InputCache(root.resolve("cache"), 256L << 20));
    stores.add(store);
    PythonRuntime python = PythonRuntime.fromEnvironment(root);
    RuntimeCheck check = python.check();
    assertThat(check.ok()).as("trainer runtime: %s", check.summary()).isTrue();
    TestActivityEnvironment env = TestActivityEnvironment.newInstance();
    envs.add(env);
    env.registerActivitiesImplementations(
        new StepActivitiesImpl(
            root,
            store,
            new GpuAllocator(List.of()),
            Duration.ofSeconds(2),
            Duration.ofMillis(200),
            name + "/1",
            StepKindRegistry.standard(python)));
    StepActivities steps =
        env.newActivityStub(
            StepActivities.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofMinutes(3))
                .setHeartbeatTimeout(Duration.ofSeconds(10))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                .build());
    return new Host(root, store, steps);
  }

  private static StepTask pretrain(int attempt, ArtifactRef corpus) {
    return new StepTask(
        RUN,
        "pre",
        "pretrain",
        attempt,
        Defaults.resolve(
            StepKinds.PRETRAIN,
            Map.of(
                "model",
                TINY,
                "data",
                "${{ inputs.params.corpus }}",
                "config",
                Map.of(
                    "max_steps",
                    MAX_STEPS,
                    "batch_size",
                    4,
                    "seq_len",
                    32,
                    "lr",
                    0.003,
                    "checkpoint_every",
                    5,
                    "seed",
                    5))),
        Map.of("params.corpus", corpus),
        0,
        170);
  }

  @Test
  void aRetryOnAnotherHostResumesFromTheStateTheKilledAttemptStoredAndContinuesItsLossCurve()
      throws Exception {
    Host first = host("host-a");
    Host second = host("host-b");
    Path corpusDir = Files.createDirectories(tmp.resolve("corpus"));
    Files.writeString(
        corpusDir.resolve("train.txt"), "12+35=47\nthe cat sees a red ball.\n\n".repeat(200));
    ProducedArtifact corpus = first.store().put(corpusDir, "dataset");
    ArtifactRef corpusRef = new ArtifactRef(corpus.id(), corpus.uri());

    CompletableFuture<StepResult> attempt1 =
        CompletableFuture.supplyAsync(() -> first.steps().execute(pretrain(1, corpusRef)));
    // Seen from the other host: a stored state at step 30 or later.
    awaitUntil(
        Duration.ofMinutes(2),
        () ->
            ResumeStates.list(second.store(), RUN, "pre", 1).stream()
                .anyMatch(s -> s.step() >= 10));
    long storedAt =
        ResumeStates.list(second.store(), RUN, "pre", 1).stream()
            .mapToLong(ResumeStates.Stored::step)
            .max()
            .orElseThrow();
    Path metrics1 = StepFiles.metricsFile(StepFiles.workDir(first.root(), RUN, "pre", 1));
    // Let the first attempt train past the stored state, so both curves share some steps.
    awaitUntil(
        Duration.ofMinutes(1),
        () -> losses(metrics1).keySet().stream().anyMatch(s -> s >= storedAt + 3));
    ProcessHandle trainer =
        ProcessHandle.current()
            .descendants()
            .filter(p -> p.info().commandLine().orElse("").contains("trainyard_trainer"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no trainer running: did it finish already?"));
    // Freeze the trainer between two checkpoints before killing it. Killed right after it saved a
    // state (its last logged step), the retry would start past every step the first attempt logged
    // and the curves would share none (seen once in CI). The trainer logs a step before it saves
    // that step's state, so stopped at a step 1 to 3 past a checkpoint, no newer state exists.
    long lastLogged;
    while (true) {
      signal("STOP", trainer.pid());
      lastLogged = losses(metrics1).lastKey();
      long sinceCheckpoint = lastLogged % 5;
      if (sinceCheckpoint >= 1 && sinceCheckpoint <= 3) {
        break;
      }
      signal("CONT", trainer.pid());
      Thread.sleep(10);
    }
    trainer.destroyForcibly(); // SIGKILL mid-training
    assertThat(attempt1).failsWithin(Duration.ofMinutes(2));
    // What the first attempt stored by then (a later upload may have finished meanwhile).
    long newest = ResumeStates.newestBefore(second.store(), RUN, "pre", 2).orElseThrow().step();
    assertThat(newest).isGreaterThanOrEqualTo(storedAt).isLessThan(lastLogged);
    assertThat(ResumeStates.list(second.store(), RUN, "pre", 1))
        .as("one state per attempt is kept")
        .hasSize(1);

    StepResult retried = second.steps().execute(pretrain(2, corpusRef));

    assertThat(retried.metrics()).containsEntry("resumed_from_step", (double) newest);
    Path work2 = StepFiles.workDir(second.root(), RUN, "pre", 2);
    assertThat(Files.readString(StepFiles.logFile(work2))).contains("at step " + newest);
    assertThat(StepFiles.workDir(second.root(), RUN, "pre", 1)).doesNotExist();
    TreeMap<Long, Double> before = losses(metrics1);
    TreeMap<Long, Double> after = losses(StepFiles.metricsFile(work2));
    // The retry trains exactly the remaining steps, and where both attempts trained the same step
    // their losses agree: the optimizer, RNG and data position came back from the store.
    assertThat(after.firstKey()).isEqualTo(newest + 1);
    assertThat(after.lastKey()).isEqualTo(MAX_STEPS);
    assertThat(after).hasSize((int) (MAX_STEPS - newest));
    List<Long> shared = before.keySet().stream().filter(after::containsKey).toList();
    assertThat(shared).isNotEmpty();
    for (long step : shared) {
      assertThat(after.get(step))
          .as("loss at step %d", step)
          .isCloseTo(before.get(step), within(1e-4));
    }
  }

  private static StepTask ownTrainer(String stepId, int attempt, String args) {
    return new StepTask(
        RUN,
        stepId,
        "command",
        attempt,
        Map.of(
            "run",
            "exec /usr/bin/python3 " + CommandCheckpointOutputTest.SCRIPT + " " + args,
            "output_type",
            "checkpoint"),
        Map.of(),
        0,
        120);
  }

  @Test
  void aCommandStepsOwnCheckpointIsStoredAndItsRetryOnAnotherHostResumesFromIt() throws Exception {
    Host first = host("host-a");
    Host second = host("host-b");
    // The script saves checkpoint-1 and -2, then crashes halfway through writing checkpoint-3.
    assertThat(
            CompletableFuture.supplyAsync(
                () -> first.steps().execute(ownTrainer("own", 1, "--steps 4 --crash-after 2"))))
        .failsWithin(Duration.ofMinutes(2));
    assertThat(ResumeStates.list(second.store(), RUN, "own", 1))
        .extracting(ResumeStates.Stored::step)
        .as("the newest complete checkpoint, not the half-written checkpoint-3")
        .containsExactly(2L);

    StepResult retried = second.steps().execute(ownTrainer("own", 2, "--steps 4 --crash-after 2"));

    assertThat(StepFiles.workDir(second.root(), RUN, "own", 1)).doesNotExist();
    assertThat(retried.metrics()).containsEntry("resumed_from_step", 2.0);
    assertThat(retried.logTail()).contains("train_tiny: resumed from").contains("at step 2");
    // Full-batch SGD is deterministic: the resumed weights are those of a run that never crashed.
    ProducedArtifact straight =
        second.steps().execute(ownTrainer("straight", 1, "--steps 4")).outputs().get("output");
    assertThat(retried.outputs().get("output").id()).isEqualTo(straight.id());
  }

  private static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor()).as("kill -%s %d", signal, pid).isZero();
  }

  private static void awaitUntil(Duration max, java.util.concurrent.Callable<Boolean> done)
      throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    while (!done.call()) {
      assertThat(System.nanoTime()).as("waited %s", max).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static TreeMap<Long, Double> losses(Path metrics) throws Exception {
    TreeMap<Long, Double> losses = new TreeMap<>();
    if (!Files.isRegularFile(metrics)) {
      return losses;
    }
    for (String line : Files.readAllLines(metrics)) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (com.fasterxml.jackson.core.JsonProcessingException partial) {
        continue; // the last line, half written when read
      }
      if (node.has("loss")) {
        losses.put(node.path("step").asLong(), node.path("loss").asDouble());
      }
    }
    return losses;
  }
}
