package dev.trainyard.backend.steps;

import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.workflow.BackendStepActivities;
import dev.trainyard.workflow.FailureType;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The backend's step activities: each {@code BACKEND} kind's runner, by kind. Registered beside the
 * ledger on the workflow task queue. A plain {@code @Singleton}, as Temporal registers the
 * instance.
 */
@Singleton
public class BackendSteps implements BackendStepActivities {
  private final Map<String, BackendStepRunner> runners = new TreeMap<>();

  @Inject
  public BackendSteps(@Any Instance<BackendStepRunner> runners) {
    runners.forEach(r -> this.runners.put(r.kind().name(), r));
  }

  /** The runner of a kind, for the test that every kind has an executor. */
  public Optional<BackendStepRunner> runnerOf(StepKind kind) {
    return Optional.ofNullable(runners.get(kind.name()));
  }

  @Override
  public StepResult execute(StepTask task) {
    BackendStepRunner runner = runners.get(task.kind());
    if (runner == null) {
      throw FailureType.KIND_NOT_SUPPORTED.failure(
          "step kind '"
              + task.kind()
              + "' has no backend runner (the backend runs "
              + runners.keySet()
              + ")");
    }
    return runner.run(task);
  }
}
