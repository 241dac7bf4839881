package dev.trainyard.worker.steps;

import dev.trainyard.worker.runtime.PythonRuntime;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** The step kinds this worker runs, by name. Merge and prune register here as in-process kinds. */
public final class StepKindRegistry {
  private final Map<String, StepKindRunner> kinds = new ConcurrentHashMap<>();
  private final PythonRuntime python;

  private StepKindRegistry(PythonRuntime python) {
    this.python = python;
  }

  /** {@code command} only: a worker that runs no trainer. */
  public static StepKindRegistry commandOnly() {
    return new StepKindRegistry(null).register("command", new CommandStepKind(null));
  }

  /** {@code command}, the reference trainer's kinds (run by {@code python}) and merge/prune (Java, in-process). */
  public static StepKindRegistry standard(PythonRuntime python) {
    StepKindRegistry registry = new StepKindRegistry(python).register("command", new CommandStepKind(python));
    for (String kind : TrainerStepKind.TRAINING_KINDS) {
      registry.register(kind, new TrainerStepKind(python, false));
    }
    registry.register("merge", new TensorStepKind("merge")).register("prune", new TensorStepKind("prune"));
    return registry.register(TrainerStepKind.EVALUATE, new TrainerStepKind(python, true));
  }

  /** Adds or replaces a kind, e.g. {@code registry.register("merge", new MergeStepKind(...))}. */
  public StepKindRegistry register(String kind, StepKindRunner runner) {
    kinds.put(kind, runner);
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
