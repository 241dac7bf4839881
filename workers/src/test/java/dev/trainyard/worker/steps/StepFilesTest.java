package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class StepFilesTest {
  @Test
  void anAttemptLivesUnderItsRunAndStep() {
    Path dir = StepFiles.workDir(Path.of("/var/lib/trainyard"), "run-42", "sft-0", 3);

    assertThat(dir).isEqualTo(Path.of("/var/lib/trainyard/work/run-42/sft-0/attempt-3"));
    assertThat(StepFiles.logFile(dir)).isEqualTo(dir.resolve("step.log"));
    assertThat(StepFiles.metricsFile(dir)).isEqualTo(dir.resolve("metrics.jsonl"));
    assertThat(StepFiles.input(dir, "cpt.model")).isEqualTo(dir.resolve("inputs/cpt.model"));
  }

  @Test
  void idsThatCouldEscapeTheWorkTreeAreRefused() {
    Path root = Path.of("/r");
    assertThatThrownBy(() -> StepFiles.workDir(root, "../etc", "s", 1))
        .hasMessageContaining("run id");
    assertThatThrownBy(() -> StepFiles.workDir(root, "r", "a/b", 1))
        .hasMessageContaining("step id");
    assertThatThrownBy(() -> StepFiles.workDir(root, "r", "s", 0))
        .hasMessageContaining("start at 1");
    assertThatThrownBy(() -> StepFiles.input(root, "..")).hasMessageContaining("input name");
  }
}
