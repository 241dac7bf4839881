package dev.trainyard.backend.runs;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.workflow.PipelineWorkflow;
import dev.trainyard.workflow.RunRequest;
import dev.trainyard.workflow.TaskQueues;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowServiceException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;

/**
 * Starts a run's workflow, for a launch and for a retry; the workflow service being down, or the
 * workflow still running, becomes the 503 or 409 a caller can act on.
 */
@ApplicationScoped
public class RunWorkflows {
  @Inject WorkflowClient temporal;

  void start(RunRequest request, WorkflowIdReusePolicy reuse) {
    PipelineWorkflow workflow =
        temporal.newWorkflowStub(
            PipelineWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(request.runId())
                .setTaskQueue(TaskQueues.WORKFLOWS)
                .setWorkflowIdReusePolicy(reuse)
                .build());
    try {
      WorkflowClient.start(workflow::run, request);
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw e;
    } catch (WorkflowServiceException | StatusRuntimeException e) {
      throw unavailable(e);
    }
  }

  static ApiProblem unavailable(Exception e) {
    Throwable cause =
        e instanceof WorkflowServiceException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof StatusRuntimeException status
        && status.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
      return ApiProblem.conflict("the run's workflow is still running");
    }
    return new ApiProblem(
        503,
        "Service Unavailable",
        "the workflow service is unavailable: " + cause.getMessage(),
        List.of());
  }
}
