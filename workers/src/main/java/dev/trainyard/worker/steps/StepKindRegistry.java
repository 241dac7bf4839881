package dev.trainyard.worker.steps;

import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.worker.runtime.PythonRuntime;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The step kinds this worker runs, by name. Built from the catalogue: each worker-run kind gets the
 * runner of its execution category, so a new kind needs no line here.
 */
public final class StepKindRegistry {
  private final Map<String, StepKindRunner> kinds = new ConcurrentHashMap<>();
  private final PythonRuntime python;

  private StepKindRegistry(PythonRuntime python) {
    this.python = python;
  }

  /** The user-command kinds only: a worker that runs no trainer. */
  public static StepKindRegistry commandOnly() {
    StepKindRegistry registry = new StepKindRegistry(null);
    StepKinds.all().stream()
        .filter(k -> k.execution() == dev.trainyard.pipeline.kind.Execution.WORKER_PROCESS)
        .forEach(k -> registry.register(new CommandStepKind(k, null)));
    return registry;
  }

  /**
   * Every worker-run kind: commands, the reference trainer's kinds (run by {@code python}), the
   * tensor engine's.
   */
  public static StepKindRegistry standard(PythonRuntime python) {
    StepKindRegistry registry = new StepKindRegistry(python);
    for (StepKind kind : StepKinds.all()) {
      runnerFor(kind, python).ifPresent(registry::register);
    }
    return registry;
  }

  /** The runner of a kind's execution category; empty for kinds that do not run on a worker. */
  static Optional<StepKindRunner> runnerFor(StepKind kind, PythonRuntime python) {
    return Optional.ofNullable(
        switch (kind.execution()) {
          case WORKER_PROCESS -> new CommandStepKind(kind, python);
          case WORKER_TRAINER -> new TrainerStepKind(kind, python);
          case WORKER_JAVA ->
              TokenizeStepKind.ENGINE.equals(kind.runner().get("engine"))
                  ? new TokenizeStepKind(kind, python)
                  : new TensorStepKind(kind);
          case APPROVAL, BACKEND -> null;
        });
  }

  /** Adds or replaces the runner of its kind. */
  public StepKindRegistry register(StepKindRunner runner) {
    kinds.put(runner.kind().name(), runner);
    return this;
  }

  public Optional<StepKindRunner> find(String kind) {
    return Optional.ofNullable(kinds.get(kind));
  }

  public Set<String> names() {
    return new TreeMap<>(kinds).keySet();
  }

  /** The Python runtime of the trainer kinds; empty for a command-only worker. */
  public Optional<PythonRuntime> python() {
    return Optional.ofNullable(python);
  }
}
