package dev.trainyard.backend.runs;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.backend.catalog.StepEntity;
import dev.trainyard.backend.security.TeamScope;
import dev.trainyard.workflow.ArtifactRef;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/**
 * Reads runs as the caller may see them: another team's run is a 404, like one that does not exist.
 */
@ApplicationScoped
public class RunReader {
  @Inject RunRepository repository;
  @Inject TeamScope scope;

  public RunEntity get(String runId) {
    RunEntity run = RunEntity.findById(runId);
    if (run == null || !scope.caller().sees(run.team)) {
      throw ApiProblem.notFound("no run '" + runId + "'");
    }
    return run;
  }

  /** The runs the filter selects (it carries the caller's teams), newest first. */
  public List<RunRepository.RunSummaryRow> list(RunRepository.RunFilter filter, int limit) {
    return repository.summaries(filter, limit);
  }

  /** Outputs of each step's latest successful attempt. */
  public Map<String, Map<String, ArtifactRef>> completedOutputs(String runId) {
    Map<String, Map<String, ArtifactRef>> outputs = repository.completedOutputs(runId);
    // Approval steps succeed without outputs but must still count as completed.
    for (StepEntity step : StepEntity.ofRun(runId)) {
      if (step.status.done() && !outputs.containsKey(step.stepId)) {
        outputs.put(step.stepId, Map.of());
      }
    }
    return outputs;
  }
}
