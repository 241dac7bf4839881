package dev.trainyard.backend.runs;

import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.InputBinding;
import dev.trainyard.pipeline.plan.PlannedStep;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

/**
 * The SQL of the run aggregate: a run, its steps and the stored artifacts they read ({@code
 * run_input}). Callers bring the transaction.
 */
@ApplicationScoped
public class RunRepository {
  @Inject EntityManager em;

  /**
   * Records the stored artifacts each step of the plan reads (its parameter-bound inputs), so
   * retention finds what an unfinished run will read without searching its plan.
   */
  public void insertInputs(String runId, ExecutionPlan plan) {
    for (PlannedStep step : plan.steps()) {
      for (InputBinding binding : step.inputs()) {
        if (binding.fromStepOutput()) {
          continue; // an earlier step's output: step_output records it when it is written
        }
        em.createNativeQuery(
                "INSERT INTO run_input (run_id, step_id, name, role, artifact_id) "
                    + "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING")
            .setParameter(1, runId)
            .setParameter(2, step.id())
            .setParameter(3, binding.name())
            .setParameter(4, binding.role())
            .setParameter(5, binding.artifactId())
            .executeUpdate();
      }
    }
  }

  /** Removes a run whose workflow never started, with its steps and inputs. */
  public void deleteUnstarted(String runId) {
    for (String table : new String[] {"run_input", "step"}) {
      em.createNativeQuery("DELETE FROM " + table + " WHERE run_id = ?1")
          .setParameter(1, runId)
          .executeUpdate();
    }
    em.createNativeQuery("DELETE FROM run WHERE id = ?1").setParameter(1, runId).executeUpdate();
  }
}
