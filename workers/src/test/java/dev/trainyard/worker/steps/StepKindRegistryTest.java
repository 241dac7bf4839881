package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.pipeline.kind.Execution;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.worker.runtime.PythonRuntime;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's half of "every kind has an executor in its category" (the backend test covers
 * BACKEND).
 */
class StepKindRegistryTest {
  @TempDir Path root;

  @Test
  void everyWorkerRunKindHasARunnerOfItsCategoryAndNoOtherKindHasOne() {
    StepKindRegistry registry = StepKindRegistry.standard(PythonRuntime.fromEnvironment(root));
    for (StepKind kind : StepKinds.all()) {
      var runner = registry.find(kind.name());
      switch (kind.execution()) {
        case WORKER_PROCESS -> assertThat(runner).get().isInstanceOf(CommandStepKind.class);
        case WORKER_TRAINER -> assertThat(runner).get().isInstanceOf(TrainerStepKind.class);
        // In the JVM: the tokenizers engine by its runner setting, else the tensor engine.
        case WORKER_JAVA ->
            assertThat(runner)
                .get()
                .isInstanceOf(
                    TokenizeStepKind.ENGINE.equals(kind.runner().get("engine"))
                        ? TokenizeStepKind.class
                        : TensorStepKind.class);
        case APPROVAL, BACKEND ->
            assertThat(runner).as(kind.name() + " does not run on a worker").isEmpty();
      }
      runner.ifPresent(r -> assertThat(r.kind()).isSameAs(kind));
    }
    assertThat(registry.names())
        .contains("command", "sft", "merge", "tokenize", "evaluate")
        .doesNotContain("approval", "promote");
  }

  @Test
  void aCommandOnlyWorkerRunsJustTheUserCommandKinds() {
    assertThat(StepKindRegistry.commandOnly().names())
        .containsExactlyElementsOf(
            StepKinds.all().stream()
                .filter(k -> k.execution() == Execution.WORKER_PROCESS)
                .map(StepKind::name)
                .sorted()
                .toList());
  }
}
