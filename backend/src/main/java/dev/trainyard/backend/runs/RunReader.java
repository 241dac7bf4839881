package dev.trainyard.backend.runs;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.backend.catalog.StepEntity;
import dev.trainyard.backend.security.TeamScope;
import dev.trainyard.workflow.ArtifactRef;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads runs as the caller may see them: another team's run is a 404, like one that does not exist.
 */
@ApplicationScoped
public class RunReader {
  @Inject EntityManager em;
  @Inject TeamScope scope;

  public RunEntity get(String runId) {
    RunEntity run = RunEntity.findById(runId);
    if (run == null || !scope.caller().sees(run.team)) {
      throw ApiProblem.notFound("no run '" + runId + "'");
    }
    return run;
  }

  /** Outputs of each step's latest successful attempt. */
  public Map<String, Map<String, ArtifactRef>> completedOutputs(String runId) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT so.step_id, so.name, a.id, a.uri FROM step_output so "
                    + "JOIN step_attempt sa ON sa.run_id = so.run_id AND sa.step_id = so.step_id AND sa.attempt = so.attempt "
                    + "JOIN step s ON s.run_id = so.run_id AND s.step_id = so.step_id "
                    + "JOIN artifact a ON a.id = so.artifact_id "
                    + "WHERE so.run_id = ?1 AND sa.status = 'SUCCEEDED' AND s.status IN ('SUCCEEDED', 'REUSED') "
                    + "ORDER BY so.attempt")
            .setParameter(1, runId)
            .getResultList();
    Map<String, Map<String, ArtifactRef>> outputs = new LinkedHashMap<>();
    for (Object[] row : rows) {
      outputs
          .computeIfAbsent((String) row[0], k -> new LinkedHashMap<>())
          .put((String) row[1], new ArtifactRef((String) row[2], (String) row[3]));
    }

    // Approval steps succeed without outputs but must still count as completed.
    for (StepEntity step : StepEntity.ofRun(runId)) {
      if (step.status.done() && !outputs.containsKey(step.stepId)) {
        outputs.put(step.stepId, Map.of());
      }
    }
    return outputs;
  }
}
