package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.worker.tensor.InvalidCheckpointException;
import dev.trainyard.worker.tensor.merge.MergeRequest.InvalidMergeException;
import dev.trainyard.workflow.StepTask;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How an upcycle's refusals reach the run: the input's fault or the step's, never retried. */
class UpcycleFailuresTest {
  private final StepTask task = new StepTask("r", "moe", "upcycle", 1, Map.of(), Map.of(), 0, 60);

  @Test
  void aCheckpointThatCannotBeUpcycledFailsAsInvalidInputWithItsPath() throws Exception {
    ApplicationFailure f =
        new StepFailures("w")
            .inProcess(
                task,
                new InvalidCheckpointException(
                    List.of(
                        "model (${{ inputs.base }}): missing tensor model.layers.1.mlp.up_proj.weight")));
    assertThat(f.getType()).isEqualTo("InvalidInput");
    assertThat(f.isNonRetryable()).isTrue();
    assertThat(f.getOriginalMessage())
        .isEqualTo(
            "step 'moe': model (${{ inputs.base }}): missing tensor"
                + " model.layers.1.mlp.up_proj.weight");
  }

  @Test
  void badSettingsStayAnInvalidStep() throws Exception {
    ApplicationFailure f =
        new StepFailures("w")
            .inProcess(
                task,
                new InvalidMergeException(List.of("config.experts: must be between 2 and 64")));
    assertThat(f.getType()).isEqualTo("InvalidStep");
    assertThat(f.isNonRetryable()).isTrue();
  }
}
