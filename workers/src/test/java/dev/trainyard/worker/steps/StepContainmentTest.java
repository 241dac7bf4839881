package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.worker.gpu.GpuAllocator;
import dev.trainyard.worker.launch.Pids;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.worker.store.Manifests;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import io.temporal.activity.ActivityOptions;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a step process can do to the worker and the store, run for real (this host allows PID and
 * mount namespaces to root, as CI does): nothing it starts outlives it, it cannot write the store,
 * and the files it leaves are read without following links.
 */
class StepContainmentTest {
  @TempDir Path root;
  private RealStepActivities activities;
  private LocalArtifactStore store;
  private StepActivities steps;

  @BeforeEach
  void setUp() {
    activities = RealStepActivities.start(root, List.of());
    store = activities.store();
    steps = activities.steps();
  }

  @AfterEach
  void tearDown() {
    activities.close();
  }

  @Test
  void
      aDetachedChildThatRewritesThePublishedArtifactAfterTheStepEndsIsDeadAndTheFilesStillMatchTheirHashes()
          throws Exception {
    String marker = Pids.uniqueSleep(4);
    StepResult result =
        steps.execute(
            command(
                "escape",
                """
        echo original > "$TRAINYARD_OUTPUT/model.txt"
        setsid nohup sh -c 'sleep %s; for f in %s/artifacts/*/model.txt; do chmod -R u+w "$(dirname "$f")"; \
        echo tampered > "$f"; done' > /dev/null 2>&1 &
        """
                    .formatted(marker, root)));

    assertThat(Pids.withArgument(marker))
        .as("the detached child, once the step has ended")
        .isEmpty();
    Thread.sleep(5_000); // past the moment it would have rewritten the artifact
    ProducedArtifact output = result.outputs().get("output");
    Path stored = store.resolve(new ArtifactRef(output.id(), output.uri()));
    assertThat(stored.resolve("model.txt")).hasContent("original");
    assertThat(Manifests.hashTree(stored)).isEqualTo(output.files());
    assertThat(Manifests.idOf(Manifests.hashTree(stored))).isEqualTo(output.id());
  }

  @Test
  void aStepProcessCannotWriteTheStoreEvenAsRoot() throws Exception {
    Path incoming = Files.createDirectories(root.resolve("incoming"));
    Files.writeString(incoming.resolve("weights.bin"), "trusted");
    ProducedArtifact input = store.put(incoming, "files");
    Path inputDir = store.resolve(new ArtifactRef(input.id(), input.uri()));

    StepResult result =
        steps.execute(
            new StepTask(
                "run-1",
                "vandal",
                "command",
                1,
                Map.of(
                    "run",
                    """
        try() { if sh -c "$1" 2>> "$TRAINYARD_OUTPUT/errors.txt"; then echo "WROTE: $1"; else echo "refused: $1"; fi; }
        try 'chmod -R u+w %1$s && echo evil > %1$s/weights.bin'
        try 'rm -rf %1$s'
        try 'touch %2$s/artifacts/planted'
        try 'mkdir %2$s/tmp/put-planted'
        try 'umount %2$s/artifacts'
        try 'mount -o remount,rw %2$s/artifacts'
        """
                            .formatted(inputDir, root)
                        + "\n"),
                Map.of(),
                0,
                60));

    String log =
        Files.readString(StepFiles.workDir(root, "run-1", "vandal", 1).resolve("step.log"));
    assertThat(log).doesNotContain("WROTE").contains("refused: umount");
    assertThat(inputDir.resolve("weights.bin")).hasContent("trusted");
    assertThat(Manifests.idOf(Manifests.hashTree(inputDir))).isEqualTo(input.id());
    assertThat(root.resolve("artifacts/planted")).doesNotExist();
    assertThat(root.resolve("tmp/put-planted")).doesNotExist();
    ProducedArtifact output = result.outputs().get("output");
    assertThat(store.resolve(new ArtifactRef(output.id(), output.uri())).resolve("errors.txt"))
        .content()
        .contains("Read-only file system");
  }

  @Test
  void aHardLinkToAFileOutsideTheOutputIsCopiedAndTheOutsideFileKeepsItsMode() throws Exception {
    // A file elsewhere under the root is not even visible to the step (and a link across the
    // mounts of its view is refused); its attempt dir's kept checkpoints are, so one sits there.
    Path checkpoints =
        StepFiles.workDir(root, "run-1", "linker", 1).resolve(ResumePoints.CHECKPOINTS);
    Path outside = Files.createDirectories(checkpoints).resolve("outside.txt");
    Files.writeString(outside, "someone else's file\n");
    Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rw-r-----"));

    StepResult result =
        steps.execute(command("linker", "ln " + outside + " \"$TRAINYARD_OUTPUT/linked.txt\""));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(outside)))
        .isEqualTo("rw-r-----");
    ProducedArtifact output = result.outputs().get("output");
    Path stored = store.resolve(new ArtifactRef(output.id(), output.uri())).resolve("linked.txt");
    assertThat(Files.getAttribute(stored, "unix:ino"))
        .isNotEqualTo(Files.getAttribute(outside, "unix:ino"));
    Files.writeString(outside, "changed later\n");
    assertThat(stored).hasContent("someone else's file");
    assertThat(Manifests.idOf(Manifests.hashTree(stored.getParent()))).isEqualTo(output.id());
  }

  @Test
  void aLogOrMetricsFileReplacedByALinkToEtcPasswdIsNeverRead() {
    StepResult result =
        steps.execute(
            command(
                "snoop",
                """
        echo '{"step": 1, "loss": 0.5}' >> "$TRAINYARD_METRICS"
        echo before the swap
        ln -sf /etc/passwd "$TRAINYARD_WORKDIR/step.log"
        ln -sf /etc/passwd "$TRAINYARD_METRICS"
        """));

    assertThat(result.logTail())
        .doesNotContain("root:")
        .contains("not read: it is a symbolic link");
    assertThat(result.metrics()).isEmpty();
  }

  @Test
  void workDirsAndTheirFilesAreReadableByTheWorkerOnly() throws Exception {
    steps.execute(command("private", "touch \"$TRAINYARD_OUTPUT/made-by-step\""));

    Path dir = StepFiles.workDir(root, "run-1", "private", 1);
    for (Path d :
        List.of(root.resolve("work"), dir.getParent().getParent(), dir.getParent(), dir)) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d)))
          .as("%s", d)
          .isEqualTo("rwx------");
    }
    for (String file : List.of("step.json", "step.log", "metrics.jsonl")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(file))))
          .as(file)
          .isEqualTo("rw-------");
    }
  }

  @Test
  void aStepReadsNoneOfTheWorkersAndBackendsSecretsNorAnotherAttemptsStepJson(
      @TempDir Path elsewhere) throws Exception {
    // The home's layout in local mode (the in-process worker's root is the home), each file
    // holding a marker; plus a TLS key outside the root, which the worker is told to hide.
    List<Path> secretFiles =
        List.of(
            root.resolve("secrets/db-password"),
            root.resolve("secrets/audit-hmac.key"),
            root.resolve("keys/task-signing.key"),
            root.resolve("tls/client.key"),
            root.resolve("postgres/PG_VERSION"),
            root.resolve("local-token"),
            elsewhere.resolve("worker-tls.key"));
    for (Path file : secretFiles) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, "SECRET-BYTES " + file.getFileName() + "\n");
    }
    Path outsideKey = elsewhere.resolve("worker-tls.key");
    // Another run's attempt: its step.json holds that run's parameter values.
    Path otherStepJson = StepFiles.workDir(root, "run-0", "other", 1).resolve("step.json");
    Files.createDirectories(otherStepJson.getParent());
    Files.writeString(otherStepJson, "{\"params\": {\"token\": \"SECRET-BYTES other-run\"}}\n");

    StepResult result;
    TestActivityEnvironment hiding = TestActivityEnvironment.newInstance();
    try {
      hiding.registerActivitiesImplementations(
          new StepActivitiesImpl(
              root,
              store,
              new GpuAllocator(List.of()),
              Duration.ofSeconds(5),
              List.of(outsideKey)));
      StepActivities hidingSteps =
          hiding.newActivityStub(
              StepActivities.class,
              ActivityOptions.newBuilder()
                  .setStartToCloseTimeout(Duration.ofMinutes(2))
                  .setHeartbeatTimeout(Duration.ofSeconds(10))
                  .build());
      StringBuilder run = new StringBuilder("out=\"$TRAINYARD_OUTPUT/seen.txt\"\n");
      for (Path file : secretFiles) {
        run.append("cat '").append(file).append("' >> \"$out\" 2>&1\n");
      }
      for (String dir : List.of("secrets", "keys", "tls", "postgres", "work", "work/run-0", "")) {
        run.append("ls -la '").append(root.resolve(dir)).append("' >> \"$out\" 2>&1\n");
      }
      run.append("cat '").append(otherStepJson).append("' >> \"$out\" 2>&1\n");
      run.append("grep -r --exclude=seen.txt SECRET-\"\"BYTES '")
          .append(root)
          .append("' >> \"$out\" 2>&1\n");
      // Its old cwd must not lead back to the covered root either.
      run.append("cat ../../../run-0/other/attempt-1/step.json >> \"$out\" 2>&1\n");
      run.append("cat \"$TRAINYARD_WORKDIR/step.json\" > \"$TRAINYARD_OUTPUT/own-step.json\"\n");
      result =
          hidingSteps.execute(
              new StepTask(
                  "run-1", "snoop", "command", 1, Map.of("run", run.toString()), Map.of(), 0, 60));
    } finally {
      hiding.close();
    }

    ProducedArtifact output = result.outputs().get("output");
    Path stored = store.resolve(new ArtifactRef(output.id(), output.uri()));
    String seen = Files.readString(stored.resolve("seen.txt"));
    assertThat(seen)
        .as("what the step could read")
        .doesNotContain("SECRET-BYTES")
        .contains("No such file or directory");
    assertThat(stored.resolve("own-step.json")).content().contains("\"snoop\"");
    for (Path file : secretFiles) {
      assertThat(file).as("left as it was").content().startsWith("SECRET-BYTES");
    }
  }

  @Test
  void aSecretInTheWorkersEnvironmentDoesNotReachTheStep() throws Exception {
    assertThat(System.getenv("QUARKUS_DATASOURCE_PASSWORD"))
        .as("set by the workers pom for this test")
        .isNotBlank();

    StepResult result = steps.execute(command("env", "env > \"$TRAINYARD_OUTPUT/env.txt\""));

    ProducedArtifact output = result.outputs().get("output");
    String env =
        Files.readString(
            store.resolve(new ArtifactRef(output.id(), output.uri())).resolve("env.txt"));
    assertThat(env)
        .doesNotContain("QUARKUS_DATASOURCE_PASSWORD")
        .doesNotContain(System.getenv("QUARKUS_DATASOURCE_PASSWORD"))
        .contains("PATH=")
        .contains("TRAINYARD_OUTPUT=");
  }

  @Test
  void aRetriedStepStillReadsItsEarlierAttemptsCheckpointsButCannotChangeThem() throws Exception {
    Path earlier =
        Files.createDirectories(
            StepFiles.workDir(root, "run-1", "resumer", 1)
                .resolve(ResumePoints.CHECKPOINTS)
                .resolve("step-5"));
    Files.writeString(earlier.resolve(ResumePoints.STATE_FILE), "state of attempt 1\n");

    StepResult result =
        steps.execute(
            new StepTask(
                "run-1",
                "resumer",
                "command",
                2,
                Map.of(
                    "run",
                    "cat '%1$s/%2$s' > \"$TRAINYARD_OUTPUT/resumed.txt\"; echo x >> '%1$s/%2$s' || echo refused >> \"$TRAINYARD_OUTPUT/resumed.txt\""
                        .formatted(earlier, ResumePoints.STATE_FILE)),
                Map.of(),
                0,
                60));

    ProducedArtifact output = result.outputs().get("output");
    assertThat(store.resolve(new ArtifactRef(output.id(), output.uri())).resolve("resumed.txt"))
        .hasContent("state of attempt 1\nrefused");
    assertThat(earlier.resolve(ResumePoints.STATE_FILE)).hasContent("state of attempt 1");
  }

  private static StepTask command(String stepId, String run) {
    return new StepTask("run-1", stepId, "command", 1, Map.of("run", run), Map.of(), 0, 60);
  }
}
