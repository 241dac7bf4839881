package dev.trainyard.worker.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StepProcessTest {
  @TempDir Path workDir;

  @Test
  void runsTheCommandInItsWorkDirWithItsEnvironmentAndLogsBothStreams() throws Exception {
    Path log = workDir.resolve("step.log");
    StepProcess process =
        StepProcess.start(
            "echo \"out $GREETING from $(pwd)\"; echo err >&2; exit 3",
            workDir,
            Map.of("GREETING", "hi"),
            log);

    assertThat(process.waitFor()).isEqualTo(3);
    assertThat(Files.readString(log))
        .contains("out hi from " + workDir.toRealPath())
        .contains("err");
  }

  @Test
  void theWorkersOwnSecretVariablesAreNotPassedToSteps() {
    for (String secret :
        java.util.List.of(
            "TRAINYARD_TEMPORAL_API_KEY",
            "TRAINYARD_OPENLINEAGE_HTTP_API_KEY",
            "TRAINYARD_AUDIT_HMAC_KEY",
            "QUARKUS_DATASOURCE_PASSWORD")) {
      org.assertj.core.api.Assertions.assertThat(
              StepProcess.OWN_SECRET_VARIABLE.matcher(secret).matches())
          .as(secret)
          .isTrue();
    }
    org.assertj.core.api.Assertions.assertThat(
            StepProcess.OWN_SECRET_VARIABLE.matcher("TRAINYARD_TEMPORAL_TARGET").matches())
        .isFalse();
  }

  @Test
  void theStepRunsInItsOwnProcessGroup() throws Exception {
    Path log = workDir.resolve("step.log");
    StepProcess process = StepProcess.start("ps -o pgid= -p $$", workDir, Map.of(), log);

    assertThat(process.waitFor()).isZero();
    assertThat(Files.readString(log).strip()).isEqualTo(String.valueOf(process.pid()));
    assertThat(process.processGroup()).isNotEqualTo(ProcessHandle.current().pid());
  }

  @Test
  void cancellingAStepKillsItsWholeProcessGroup() throws Exception {
    Path log = workDir.resolve("step.log");
    Path pids = workDir.resolve("pids");
    StepProcess process =
        StepProcess.start(
            "sleep 600 & echo $! > pids.tmp; echo $$ >> pids.tmp; mv pids.tmp pids; sleep 600",
            workDir,
            Map.of(),
            log,
            Duration.ofSeconds(5));
    List<Long> started = Pids.await(pids, Duration.ofSeconds(10));
    assertThat(started).allSatisfy(pid -> assertThat(Pids.isRunning(pid)).isTrue());

    long before = System.nanoTime();
    process.cancel();

    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(4));
    assertThat(started)
        .allSatisfy(pid -> assertThat(Pids.isRunning(pid)).as("pid %d", pid).isFalse());
    assertThat(process.isAlive()).isFalse();
    assertThat(process.wasCancelled()).isTrue();
  }

  @Test
  void aStepThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
    Path log = workDir.resolve("step.log");
    Path pids = workDir.resolve("pids");
    StepProcess process =
        StepProcess.start(
            "trap '' TERM; (trap '' TERM; sleep 600) & echo $! > pids.tmp; mv pids.tmp pids; while true; do sleep 1; done",
            workDir,
            Map.of(),
            log,
            Duration.ofMillis(500));
    List<Long> started = Pids.await(pids, Duration.ofSeconds(10));

    long before = System.nanoTime();
    process.cancel();

    assertThat(Duration.ofNanos(System.nanoTime() - before))
        .isBetween(Duration.ofMillis(400), Duration.ofSeconds(5));
    assertThat(started).allSatisfy(pid -> assertThat(Pids.isRunning(pid)).isFalse());
    assertThat(process.isAlive()).isFalse();
  }

  @Test
  void cancellingAfterTheShellExitedStillStopsWhatItLeftBehind() throws Exception {
    Path log = workDir.resolve("step.log");
    Path pids = workDir.resolve("pids");
    StepProcess process =
        StepProcess.start(
            "sleep 600 & echo $! > pids.tmp; mv pids.tmp pids; exit 0",
            workDir,
            Map.of(),
            log,
            Duration.ofSeconds(5));
    List<Long> started = Pids.await(pids, Duration.ofSeconds(10));
    assertThat(process.waitFor()).isZero();
    assertThat(Pids.isRunning(started.get(0))).isTrue();

    process.cancel();

    assertThat(Pids.isRunning(started.get(0))).isFalse();
  }
}
