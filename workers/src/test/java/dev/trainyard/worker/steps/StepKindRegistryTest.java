package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.pipeline.kind.Execution;
import dev.trainyard.pipeline.kind.Output;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.worker.runtime.PythonRuntime;
import dev.trainyard.workflow.StepTask;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
  void aTrainingStepWithAnAdapterStoresItsOutputAsAnAdapterNamedAdapter() {
    StepKindRegistry registry = StepKindRegistry.standard(PythonRuntime.fromEnvironment(root));
    for (String kind : List.of("sft", "dpo")) {
      var runner = registry.find(kind).orElseThrow();
      Output lora = runner.output(task(kind, Map.of("model", "m", "adapter", Map.of("r", 8))));
      assertThat(lora.name()).isEqualTo("adapter");
      assertThat(lora.type()).isEqualTo(ArtifactType.ADAPTER);
      Output full = runner.output(task(kind, Map.of("model", "m")));
      assertThat(full.name()).isEqualTo("model");
      assertThat(full.type()).isEqualTo(ArtifactType.CHECKPOINT);
    }
  }

  private static StepTask task(String kind, Map<String, Object> body) {
    return new StepTask("run-1", "s", kind, 1, body, Map.of(), 0, 60);
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
