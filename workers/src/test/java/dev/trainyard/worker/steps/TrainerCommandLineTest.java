package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trainyard.pipeline.spec.Processes;
import dev.trainyard.workflow.StepTask;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The step process's command line for one trainer process, DDP on one host, and several hosts. */
class TrainerCommandLineTest {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final Path STEP_JSON = Path.of("/work/runs/r 1/step.json");

  private static String line(Map<String, Object> body, int gpus) {
    StepTask task = new StepTask("run-7", "pre", "pretrain", 3, body, Map.of(), gpus, 60);
    return TrainerStepKind.commandLine(
        PYTHON, STEP_JSON, Processes.of(body, gpus), TrainerStepKind.attemptId(task));
  }

  @Test
  void oneProcessRunsTheTrainerItself() {
    assertThat(line(Map.of(), 0))
        .isEqualTo("exec /usr/bin/python3 -m trainyard_trainer '/work/runs/r 1/step.json'");
    assertThat(line(Map.of(), 1)).isEqualTo(line(Map.of(), 0));
    assertThat(line(Map.of("resources", Map.of("processes", 1)), 0)).isEqualTo(line(Map.of(), 0));
  }

  @Test
  void severalProcessesOnOneHostAreTorchrunRanksWithARendezvousOnAFreeLocalPort() {
    String twoOnTheCpu = line(Map.of("resources", Map.of("processes", 2)), 0);
    assertThat(twoOnTheCpu)
        .isEqualTo(
            "exec /usr/bin/python3 -m trainyard_trainer.launch --nnodes=1 --nproc_per_node=2"
                + " --rdzv_backend=c10d --rdzv_endpoint=localhost:0 --rdzv_id=run-7.pre.3"
                + " -m trainyard_trainer '/work/runs/r 1/step.json'");
    // GPUs above one mean one rank per GPU, as before `processes` existed.
    assertThat(line(Map.of(), 4)).contains("--nnodes=1 --nproc_per_node=4 ");
  }

  @Test
  void aMultiNodeStepNamesItsRendezvousAndTheAttemptAsTheRendezvousId() {
    String wide =
        line(
            Map.of(
                "resources", Map.of("processes", 8, "nodes", 4, "rendezvous", "[fd00::1]:29400")),
            8);
    assertThat(wide)
        .isEqualTo(
            "exec /usr/bin/python3 -m trainyard_trainer.launch --nnodes=4 --nproc_per_node=8"
                + " --rdzv_backend=c10d --rdzv_endpoint='[fd00::1]:29400' --rdzv_id=run-7.pre.3"
                + " -m trainyard_trainer '/work/runs/r 1/step.json'");
  }

  @Test
  void aHandWrittenMultiNodeBodyWithoutARendezvousIsRefused() {
    assertThatThrownBy(() -> line(Map.of("resources", Map.of("nodes", 2)), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resources.rendezvous");
  }
}
