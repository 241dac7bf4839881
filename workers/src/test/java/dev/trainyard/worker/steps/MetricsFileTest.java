package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsFileTest {
  @TempDir Path dir;

  @Test
  void keepsTheLastNumericValueOfEachKeyExceptStep() throws Exception {
    Path file = dir.resolve("metrics.jsonl");
    Files.writeString(
        file,
        """
        {"step":1,"loss":3.0,"lr":1e-4}
        not json
        {"step":2,"loss":2.0,"note":"text is ignored"}

        [1,2,3]
        {"step":3,"eval/accuracy":0.5,"loss":1.5}
        {"step":4,"loss":""");

    assertThat(MetricsFile.lastValues(file))
        .containsExactlyInAnyOrderEntriesOf(Map.of("loss", 1.5, "lr", 1e-4, "eval/accuracy", 0.5));
  }

  @Test
  void noFileMeansNoMetrics() throws Exception {
    assertThat(MetricsFile.lastValues(dir.resolve("missing"))).isEmpty();
  }

  @Test
  void progressComesFromTheLastCompleteLineOfALongFile() throws Exception {
    Path file = dir.resolve("metrics.jsonl");
    StringBuilder lines = new StringBuilder();
    for (int step = 1; step <= 2000; step++) {
      lines
          .append("{\"step\":")
          .append(step)
          .append(",\"loss\":1.25,\"total_steps\":5000,\"eta_s\":42.5}\n");
    }
    Files.writeString(file, lines + "{\"step\":2001,\"lo");

    assertThat(MetricsFile.progress(file))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("step", 2000L, "totalSteps", 5000, "etaSeconds", 42.5, "loss", 1.25));
  }
}
