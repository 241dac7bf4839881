package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trainyard.worker.launch.Pids;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real step activity (real processes, real store) inside the SDK's test activity
 * environment.
 */
class StepActivitiesImplTest {
  @TempDir Path root;
  private RealStepActivities activities;
  private LocalArtifactStore store;
  private StepActivities steps;

  @BeforeEach
  void setUp() {
    activities = RealStepActivities.start(root, List.of(0, 1));
    store = activities.store();
    steps = activities.steps();
  }

  @AfterEach
  void tearDown() {
    activities.close();
  }

  @Test
  void aCommandStepsOutputBecomesAnArtifactWhoseHashMatchesTheFile() throws Exception {
    StepResult result =
        steps.execute(
            command(
                "write",
                1,
                "mkdir -p $TRAINYARD_OUTPUT/sub && printf 'hello trainyard' > $TRAINYARD_OUTPUT/sub/greeting.txt"));

    ProducedArtifact output = result.outputs().get("output");
    Path stored =
        store.resolve(new ArtifactRef(output.id(), output.uri())).resolve("sub/greeting.txt");
    String fileHash = sha256(Files.readAllBytes(stored));
    assertThat(fileHash).isEqualTo(sha256("hello trainyard".getBytes(StandardCharsets.UTF_8)));
    assertThat(output.type()).isEqualTo("files");
    assertThat(output.files())
        .singleElement()
        .satisfies(
            entry -> {
              assertThat(entry.path()).isEqualTo("sub/greeting.txt");
              assertThat(entry.sha256()).isEqualTo(fileHash);
              assertThat(entry.sizeBytes()).isEqualTo(15);
            });
    String manifest = fileHash + "  15  sub/greeting.txt\n";
    assertThat(output.id()).isEqualTo(sha256(manifest.getBytes(StandardCharsets.UTF_8)));
    assertThat(result.worker()).isEqualTo("test-host/1");
    assertThat(result.gpuIds()).isEmpty();
  }

  @Test
  void inputsAreLinkedReadOnlyAndSubstitutedIntoTheCommand() throws Exception {
    Path dataset = Files.createDirectories(root.resolve("incoming/corpus"));
    Files.writeString(dataset.resolve("train.txt"), "tokens tokens tokens\n");
    ProducedArtifact corpus = store.put(dataset, "files");

    StepTask task =
        new StepTask(
            "run-1",
            "count",
            "command",
            1,
            Map.of(
                "run",
                "wc -w < ${{inputs.params.corpus}}/train.txt | tr -d ' \\n' > $TRAINYARD_OUTPUT/count",
                "env",
                Map.of("CORPUS", "${{ inputs.params.corpus }}")),
            Map.of("params.corpus", new ArtifactRef(corpus.id(), corpus.uri())),
            0,
            60);
    StepResult result = steps.execute(task);

    Path workDir = StepFiles.workDir(root, "run-1", "count", 1);
    Path link = StepFiles.input(workDir, "params.corpus");
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(link.toRealPath())
        .isEqualTo(store.resolve(new ArtifactRef(corpus.id(), corpus.uri())));
    assertThat(
            PosixFilePermissions.toString(Files.getPosixFilePermissions(link.resolve("train.txt"))))
        .isEqualTo("r--r--r--");
    ProducedArtifact output = result.outputs().get("output");
    assertThat(store.resolve(new ArtifactRef(output.id(), output.uri())).resolve("count"))
        .hasContent("3");
    assertThat(Files.readString(StepFiles.stepJson(workDir)))
        .contains("\"kind\" : \"command\"")
        .contains("\"params.corpus\" : \"" + link + "\"")
        .contains("\"CORPUS\" : \"" + link + "\"")
        .contains("\"resume\" : null");
  }

  @Test
  void theStepSeesTheContractEnvironment() throws Exception {
    StepResult result =
        steps.execute(
            new StepTask(
                "run-7",
                "env",
                "command",
                2,
                Map.of(
                    "run",
                    List.of(
                        "sh",
                        "-c",
                        "env | grep -E '^(TRAINYARD_|CUDA_VISIBLE_DEVICES)' | sort > $TRAINYARD_OUTPUT/env.txt")),
                Map.of(),
                2,
                60));

    Path workDir = StepFiles.workDir(root, "run-7", "env", 2);
    ProducedArtifact output = result.outputs().get("output");
    String seen =
        Files.readString(
            store.resolve(new ArtifactRef(output.id(), output.uri())).resolve("env.txt"));
    assertThat(seen.lines())
        .contains(
            "CUDA_VISIBLE_DEVICES=0,1",
            "TRAINYARD_ATTEMPT=2",
            "TRAINYARD_METRICS=" + workDir.resolve("metrics.jsonl"),
            "TRAINYARD_OUTPUT=" + workDir.resolve("output"),
            "TRAINYARD_RUN_ID=run-7",
            "TRAINYARD_STEP_ID=env",
            "TRAINYARD_STEP_JSON=" + workDir.resolve("step.json"),
            "TRAINYARD_WORKDIR=" + workDir);
    assertThat(result.gpuIds()).containsExactly(0, 1);
  }

  @Test
  void aStepThatFailsWithoutWritingALogFailsAsItsOwnFailureNotAsAWorkerError() {
    assertThatThrownBy(() -> steps.execute(command("silent", 1, "exit 3")))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("StepFailed");
              assertThat(failure.getOriginalMessage())
                  .isEqualTo("step 'silent' exited with code 3: (the step wrote no log)");
            });
  }

  @Test
  void aNonZeroExitFailsTheStepWithTheEndOfItsLog() {
    assertThatThrownBy(
            () ->
                steps.execute(
                    command("boom", 1, "echo loading data; echo 'CUDA out of memory' >&2; exit 7")))
        .isInstanceOf(ActivityFailure.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("StepFailed");
              // A crashed step may succeed on another attempt: the workflow retries it per the
              // step's policy.
              assertThat(failure.isNonRetryable()).isFalse();
              assertThat(failure.getOriginalMessage())
                  .startsWith("step 'boom' exited with code 7:")
                  .contains("loading data")
                  .contains("CUDA out of memory");
            });
  }

  @Test
  void theLastValueOfEachMetricComesBack() {
    StepResult result =
        steps.execute(
            command(
                "train",
                1,
                """
        echo '{"step":1,"loss":2.5,"lr":0.001}' >> $TRAINYARD_METRICS
        echo '{"step":2,"loss":1.25,"phase":"warmup"}' >> $TRAINYARD_METRICS
        echo training done
        """));

    assertThat(result.metrics())
        .containsExactlyInAnyOrderEntriesOf(Map.of("loss", 1.25, "lr", 0.001));
    assertThat(result.logTail()).contains("training done");
  }

  @Test
  void identicalOutputsOfTwoStepsDedupeToTheSameArtifact() {
    String run = "echo same > $TRAINYARD_OUTPUT/result.txt";
    ProducedArtifact first = steps.execute(command("a", 1, run)).outputs().get("output");
    ProducedArtifact second = steps.execute(command("b", 1, run)).outputs().get("output");

    assertThat(second.id()).isEqualTo(first.id());
    assertThat(second.uri()).isEqualTo(first.uri());
  }

  @Test
  void cancellingAStepKillsItsWholeProcessTree() throws Exception {
    Path ready = StepFiles.workDir(root, "run-1", "sleepy", 1).resolve("ready");
    String marker = Pids.uniqueSleep(600);
    CompletableFuture<StepResult> running =
        CompletableFuture.supplyAsync(
            () ->
                steps.execute(
                    command("sleepy", 1, "sleep " + marker + " & touch ready; sleep " + marker)));
    Pids.await(ready, Duration.ofSeconds(10));
    List<Long> started = Pids.awaitWithArgument(marker, 2, Duration.ofSeconds(10));

    activities.env().requestCancelActivity();

    assertThatThrownBy(() -> running.get(20, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .rootCause()
        .isInstanceOf(CanceledFailure.class);
    assertThat(started)
        .allSatisfy(pid -> assertThat(Pids.isRunning(pid)).as("pid %d", pid).isFalse());
  }

  @Test
  void aStepRunningPastItsTimeoutIsKilledAndFails() {
    StepTask task =
        new StepTask(
            "run-1",
            "slow",
            "command",
            1,
            Map.of("run", "echo started; sleep 600"),
            Map.of(),
            0,
            1);

    assertThatThrownBy(() -> steps.execute(task))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("StepTimedOut");
              assertThat(failure.getOriginalMessage())
                  .contains("timeout of 1 s")
                  .contains("started");
            });
  }

  @Test
  void kindsThisWorkerCannotRunYetFailClearly() {
    StepTask task = new StepTask("run-1", "promote", "promote", 1, Map.of(), Map.of(), 0, 60);

    assertThatThrownBy(() -> steps.execute(task))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("KindNotSupported");
              assertThat(failure.isNonRetryable()).isTrue();
              assertThat(failure.getOriginalMessage())
                  .startsWith(
                      "step kind 'promote' is not supported by this worker (it runs [command, continual-pretrain");
            });
  }

  @Test
  void aStepNeedingMoreGpusThanTheHostHasFailsAtOnce() {
    StepTask task =
        new StepTask("run-1", "big", "command", 1, Map.of("run", "true"), Map.of(), 8, 60);

    assertThatThrownBy(() -> steps.execute(task))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("InsufficientGpus");
              assertThat(failure.getOriginalMessage())
                  .contains("needs 8 GPU(s) but this host has 2");
            });
  }

  @Test
  void anOutputThatCannotBeStoredFailsTheStepForGood() {
    assertThatThrownBy(
            () ->
                steps.execute(
                    command(
                        "linky",
                        1,
                        "echo x > elsewhere; ln -s $PWD/elsewhere $TRAINYARD_OUTPUT/host")))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("InvalidOutput");
              assertThat(failure.isNonRetryable()).isTrue();
              assertThat(failure.getOriginalMessage()).contains("'host' is not a regular file");
            });
  }

  @Test
  void anInputTheStoreDoesNotHoldFailsAsMissing() {
    String neverStored = "0".repeat(64);
    StepTask task =
        new StepTask(
            "run-1",
            "orphan",
            "command",
            1,
            Map.of("run", "true"),
            Map.of("params.base", new ArtifactRef(neverStored, null)),
            0,
            60);

    assertThatThrownBy(() -> steps.execute(task))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("InputMissing");
              assertThat(failure.getOriginalMessage()).contains("input 'params.base'");
            });
  }

  @Test
  void aTokenNamingAnUnboundInputFailsBeforeAnythingRuns() {
    assertThatThrownBy(() -> steps.execute(command("typo", 1, "cat ${{ inputs.nope }}/x")))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("InvalidStep");
              assertThat(failure.getOriginalMessage()).contains("inputs.nope");
            });
  }

  private static StepTask command(String stepId, int attempt, String run) {
    return new StepTask("run-1", stepId, "command", attempt, Map.of("run", run), Map.of(), 0, 120);
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
