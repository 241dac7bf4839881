package dev.trainyard.workflow.trust;

import dev.trainyard.workflow.PipelineWorkflow;
import dev.trainyard.workflow.RunRequest;
import dev.trainyard.workflow.StepTask;
import io.temporal.activity.ActivityInterface;

/**
 * The backend's checks of a workflow against the catalog, run as local activities of the workflow
 * worker (the backend hosts both). Temporal access alone (a stolen certificate, a misconfigured
 * cluster) can start a {@code Pipeline} workflow or signal one; these make such a workflow do
 * nothing. Every refusal is written to the audit log.
 */
@ActivityInterface(namePrefix = "Trust")
public interface TrustActivities {
  /**
   * Null when the run may start: its workflow id is its run id, it was launched through the API and
   * is not finished, and the request's plan, artifacts, reused outputs and attempt counts are the
   * catalog's. Otherwise the reason it is refused.
   */
  String admitRun(RunRequest request);

  /**
   * Signs {@code task} (which carries no grant yet) when it is the recorded plan's step with the
   * catalog's inputs, the run is unfinished and every approval before it is recorded; otherwise
   * fails with a non-retryable {@code StepRefused}.
   */
  StepGrant grantStep(StepTask task);

  /** Whether {@code approval} carries the backend's signature for this waiting attempt. */
  boolean approvalSigned(String runId, int attempt, PipelineWorkflow.Approval approval);
}
