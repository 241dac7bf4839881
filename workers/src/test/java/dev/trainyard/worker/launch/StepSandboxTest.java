package dev.trainyard.worker.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StepSandboxTest {
  @TempDir Path dir;

  @Test
  void insideTheSandboxTheProtectedDirIsReadOnlyAndTheStepIsInItsOwnPidNamespace()
      throws Exception {
    Path store = Files.createDirectories(dir.resolve("store"));
    StepSandbox sandbox = StepSandbox.detect(List.of(store));
    assertThat(sandbox.contained()).isTrue();

    StepProcess step =
        StepProcess.start(
            "echo pid=$$; touch " + store + "/x 2>&1; touch output-ok",
            dir,
            Map.of(),
            dir.resolve("step.log"),
            StepProcess.DEFAULT_TERMINATION_GRACE,
            sandbox);

    assertThat(step.waitFor()).isZero();
    assertThat(Files.readString(dir.resolve("step.log")))
        .containsPattern("pid=[2-9]\\n")
        .contains("Read-only file system");
    assertThat(store.resolve("x")).doesNotExist();
    assertThat(dir.resolve("output-ok")).exists();
  }

  @Test
  void aCancelledStepInTheSandboxGetsSigtermAndItsGracePeriod() throws Exception {
    StepSandbox sandbox = StepSandbox.detect(List.of());
    StepProcess step =
        StepProcess.start(
            "trap 'echo got TERM; sleep 1; echo cleaned up; exit 3' TERM; touch ready; while :; do sleep 0.1; done",
            dir,
            Map.of(),
            dir.resolve("step.log"),
            java.time.Duration.ofSeconds(10),
            sandbox);
    Pids.await(dir.resolve("ready"), java.time.Duration.ofSeconds(10));

    step.cancel();

    assertThat(Files.readString(dir.resolve("step.log")))
        .contains("got TERM")
        .contains("cleaned up")
        .doesNotContain("worker that started this step is gone");
    assertThat(step.isAlive()).isFalse();
  }

  @Test
  void whenTheWorkerIsGoneEverythingTheStepStartedIsKilled() throws Exception {
    StepSandbox sandbox = StepSandbox.detect(List.of());
    String marker = Pids.uniqueSleep(600);
    Process step =
        new ProcessBuilder(sandbox.argv("setsid nohup sleep " + marker + " & sleep " + marker))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("step.log").toFile())
            .start();
    List<Long> started = Pids.awaitWithArgument(marker, 2, java.time.Duration.ofSeconds(10));

    step.getOutputStream()
        .close(); // what the kernel does to the lifeline pipe when the worker dies

    assertThat(step.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(started)
        .allSatisfy(pid -> assertThat(Pids.isRunning(pid)).as("pid %d", pid).isFalse());
    assertThat(Files.readString(dir.resolve("step.log")))
        .contains("the worker that started this step is gone");
  }

  @Test
  void whereTheSandboxCannotBeSetUpStepsRunInTheirProcessGroupAndTheWorkerSaysSo()
      throws Exception {
    List<String> warnings = new CopyOnWriteArrayList<>();
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            warnings.add(r.getLevel() + " " + r.getMessage());
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger.getLogger(StepSandbox.class.getName()).addHandler(handler);
    try {
      // A directory that cannot be bind-mounted makes the probe fail, as a host without namespaces
      // would.
      StepSandbox sandbox = StepSandbox.detect(List.of(dir.resolve("no-such-dir")));

      assertThat(sandbox.contained()).isFalse();
      assertThat(warnings)
          .anySatisfy(
              w ->
                  assertThat(w)
                      .startsWith("WARNING step sandbox unavailable")
                      .contains("steps run in a process group only"));
      StepProcess step =
          StepProcess.start(
              "echo still runs",
              dir,
              Map.of(),
              dir.resolve("step.log"),
              StepProcess.DEFAULT_TERMINATION_GRACE,
              sandbox);
      assertThat(step.waitFor()).isZero();
      assertThat(Files.readString(dir.resolve("step.log"))).contains("still runs");
    } finally {
      Logger.getLogger(StepSandbox.class.getName()).removeHandler(handler);
    }
  }
}
