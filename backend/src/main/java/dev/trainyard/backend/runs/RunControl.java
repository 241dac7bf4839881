package dev.trainyard.backend.runs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.backend.catalog.StepAttemptEntity;
import dev.trainyard.backend.catalog.StepEntity;
import dev.trainyard.backend.trust.SigningKey;
import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.InputBinding;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.PipelineWorkflow;
import dev.trainyard.workflow.RunRequest;
import dev.trainyard.workflow.RunStatus;
import dev.trainyard.workflow.StepStatus;
import dev.trainyard.workflow.trust.TaskSignatures;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowServiceException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Cancels, approves and retries runs, through their workflows. */
@ApplicationScoped
public class RunControl {
  @Inject RunReader reader;
  @Inject RunWorkflows workflows;
  @Inject WorkflowClient temporal;
  @Inject ObjectMapper json;
  @Inject EntityManager em;
  @Inject SigningKey signing;
  @Inject RunRepository repository;
  @Inject dev.trainyard.backend.events.DomainEvents events;

  public RunEntity cancel(String runId, String reason) {
    RunEntity run = reader.get(runId);
    if (run.status.terminal()) {
      throw ApiProblem.conflict("run " + runId + " is already " + run.status);
    }
    try {
      temporal.newWorkflowStub(PipelineWorkflow.class, runId).cancel(reason);
    } catch (WorkflowNotFoundException e) {
      // Its execution is gone (lost with an embedded service): the catalog is all there is to
      // update.
      QuarkusTransaction.requiringNew()
          .run(
              () -> {
                repository.markLost(runId, RunStatus.CANCELLED, "cancelled: " + reason);
                events.runEnded(runId);
              });
    } catch (WorkflowServiceException e) {
      throw RunWorkflows.unavailable(e);
    }
    return reader.get(runId);
  }

  public RunEntity approve(String runId, String stepId, String user) {
    reader.get(runId);
    StepEntity step = StepEntity.findById(new StepEntity.Key(runId, stepId));
    if (step == null) {
      throw ApiProblem.notFound("run " + runId + " has no step '" + stepId + "'");
    }
    if (step.status != StepStatus.WAITING_APPROVAL) {
      throw ApiProblem.conflict(
          "step '" + stepId + "' is " + step.status + ", not WAITING_APPROVAL");
    }
    // Signed for the waiting attempt: the workflow drops approval signals the backend did not sign
    // (H2).
    int waiting =
        repository
            .attemptWaitingForApproval(runId, stepId)
            .orElseThrow(
                () ->
                    ApiProblem.conflict(
                        "step '" + stepId + "' has no attempt waiting for approval"));
    String signature = signing.sign(TaskSignatures.approvalPayload(runId, stepId, waiting, user));
    try {
      temporal
          .newWorkflowStub(PipelineWorkflow.class, runId)
          .approve(new PipelineWorkflow.Approval(stepId, user, signature));
    } catch (WorkflowServiceException e) {
      throw RunWorkflows.unavailable(e);
    }
    return reader.get(runId);
  }

  /** Runs the run again from its failed steps, reusing every completed step's recorded outputs. */
  public RunEntity retry(String runId) {
    restart(reader.get(runId));
    em.clear(); // the run was read before the update: answer with what is stored now
    return reader.get(runId);
  }

  /**
   * Local mode's start continues a run it found interrupted, as {@link #retry} would, on behalf of
   * no caller (so no team scope applies; InterruptedRuns audits it).
   */
  public void resumeInterrupted(String runId) {
    RunEntity run = RunEntity.findById(runId);
    if (run == null) {
      throw ApiProblem.notFound("no run '" + runId + "'");
    }
    restart(run);
  }

  private void restart(RunEntity run) {
    String runId = run.id;
    if (!run.status.retryable()) {
      throw ApiProblem.conflict(
          "run "
              + runId
              + " is "
              + run.status
              + "; only FAILED, CANCELLED or INTERRUPTED runs can be retried");
    }
    ExecutionPlan plan = json.convertValue(run.plan, ExecutionPlan.class);
    Map<String, Map<String, ArtifactRef>> reused = reader.completedOutputs(runId);
    // A step whose outputs retention deleted is no longer complete: the retry runs it again.
    List<String> pruned = repository.stepsWithDeletedOutputs(runId);
    pruned.forEach(reused::remove);
    Map<String, Integer> attempts = new HashMap<>();
    for (StepAttemptEntity attempt : StepAttemptEntity.ofRun(runId)) {
      attempts.merge(attempt.stepId, attempt.attempt, Math::max);
    }
    Map<String, ArtifactRef> artifacts = new HashMap<>();
    for (PlannedStep step : plan.steps()) {
      for (InputBinding binding : step.inputs()) {
        if (!binding.fromStepOutput()) {
          ArtifactEntity artifact = ArtifactEntity.findById(binding.artifactId());
          if (artifact != null && artifact.deleted()) {
            throw ApiProblem.conflict(
                "run "
                    + runId
                    + " reads "
                    + artifact.id
                    + ", which retention deleted on "
                    + artifact.deletedAt.toLocalDate()
                    + "; launch a new run with another input");
          }
          if (artifact != null) {
            artifacts.put(artifact.id, new ArtifactRef(artifact.id, artifact.uri));
          }
        }
      }
    }
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              repository.resetForRetry(runId);
              workflows.start(
                  new RunRequest(runId, plan, artifacts, reused, attempts),
                  WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE);
            });
  }
}
