package dev.trainyard.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import io.temporal.testing.WorkflowReplayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays committed histories of real PipelineWorkflow executions against today's code. A change
 * that would make running workflows non-deterministic fails here; guard such changes with {@code
 * Workflow.getVersion} and record new histories next to the old ones.
 */
class PipelineWorkflowReplayTest {
  static List<Path> histories() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("src/test/resources/histories"))) {
      List<Path> found = files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
      assertThat(found).as("committed workflow histories").isNotEmpty();
      return found;
    }
  }

  @ParameterizedTest
  @MethodSource("histories")
  void committedHistoriesReplayWithoutNonDeterminism(Path history) throws Exception {
    WorkflowReplayer.replayWorkflowExecution(Files.readString(history), PipelineWorkflowImpl.class);
  }
}
