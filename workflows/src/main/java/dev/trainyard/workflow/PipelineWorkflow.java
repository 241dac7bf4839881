package dev.trainyard.workflow;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Executes one run of a pipeline: its DAG with maximal parallelism, each step as an activity on the
 * task queue of its pool, recording everything in the catalog through {@link LedgerActivities}. The
 * workflow id is the run id.
 */
@WorkflowInterface
public interface PipelineWorkflow {
  @WorkflowMethod(name = "Pipeline")
  RunOutcome run(RunRequest request);

  /** Stops the run: running step processes are killed, pending steps never start. */
  @SignalMethod(name = "cancel")
  void cancel(String reason);

  /** Lets a waiting {@code approval} step succeed. */
  @SignalMethod(name = "approve")
  void approve(Approval approval);

  @QueryMethod(name = "progress")
  RunProgress progress();

  /**
   * @param signature the backend's signature over the run, step, waiting attempt and approver
   *     ({@code TaskSignatures.approvalPayload}); an approval without a valid one is refused
   */
  record Approval(String stepId, String approvedBy, String signature) {
    public Approval(String stepId, String approvedBy) {
      this(stepId, approvedBy, null);
    }
  }
}
