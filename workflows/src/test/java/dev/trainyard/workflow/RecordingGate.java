package dev.trainyard.workflow;

import dev.trainyard.workflow.trust.StepGrant;
import dev.trainyard.workflow.trust.TrustActivities;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The backend's trust checks as a test scripts them: which runs, steps and approvals it refuses.
 */
class RecordingGate implements TrustActivities {
  static final String BACKEND_SIGNATURE = "signed-by-backend";

  final Set<String> refusedRuns = ConcurrentHashMap.newKeySet();
  final Set<String> refusedSteps = ConcurrentHashMap.newKeySet();
  final List<String> refusedApprovals = new CopyOnWriteArrayList<>();

  @Override
  public String admitRun(RunRequest request) {
    return refusedRuns.contains(request.runId())
        ? "run " + request.runId() + " is already SUCCEEDED"
        : null;
  }

  @Override
  public StepGrant grantStep(StepTask task) {
    if (refusedSteps.contains(task.stepId())) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the backend refused to sign step '" + task.stepId() + "'", "StepRefused");
    }
    return new StepGrant(1, "grant for " + task.runId() + "/" + task.stepId());
  }

  @Override
  public boolean approvalSigned(String runId, int attempt, PipelineWorkflow.Approval approval) {
    if (BACKEND_SIGNATURE.equals(approval.signature())) {
      return true;
    }
    refusedApprovals.add(approval.stepId() + " by " + approval.approvedBy());
    return false;
  }
}
