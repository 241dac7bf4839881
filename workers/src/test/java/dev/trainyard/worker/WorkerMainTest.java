package dev.trainyard.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerMainTest {
  @Test
  void readsTheDocumentedCommandLine() {
    WorkerMain.Options options = WorkerMain.parse(new String[] {
        "--temporal", "temporal.internal:7233", "--namespace", "ml", "--pool", "default", "--pool=h100",
        "--root", "/var/lib/trainyard", "--max-concurrent-steps", "4", "--termination-grace", "30"});

    assertThat(options).isEqualTo(new WorkerMain.Options("temporal.internal:7233", "ml",
        List.of("default", "h100"), Path.of("/var/lib/trainyard"), 4, Duration.ofSeconds(30), null));
  }

  @Test
  void servesTheDefaultPoolOnLocalTemporalWhenToldNothing() {
    WorkerMain.Options options = WorkerMain.parse(new String[0]);

    assertThat(options.temporal()).isEqualTo("127.0.0.1:7233");
    assertThat(options.pools()).containsExactly("default");
    assertThat(options.maxConcurrentSteps()).isNull();
  }

  @Test
  void rejectsUnknownOptionsAndMissingValues() {
    assertThatThrownBy(() -> WorkerMain.parse(new String[] {"--gpus", "2"})).hasMessageContaining("unknown option: --gpus");
    assertThatThrownBy(() -> WorkerMain.parse(new String[] {"--pool"})).hasMessageContaining("--pool needs a value");
    assertThat(WorkerMain.parse(new String[] {"--help"})).isNull();
  }
}
