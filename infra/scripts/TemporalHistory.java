import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;

/**
 * Diagnostics for the fault scripts: prints a workflow's history, one event type a line, so a stuck
 * run shows where it stopped (e.g. a last WORKFLOW_TASK_SCHEDULED with no STARTED after it).
 *
 * <p>{@code java -cp 'backend/target/quarkus-app/lib/main/*' infra/scripts/TemporalHistory.java
 * 127.0.0.1:7233 <workflow id> [namespace] [mTLS dir with client.pem, client.key, ca.pem]}
 */
public final class TemporalHistory {
  public static void main(String[] args) {
    WorkflowServiceStubsOptions.Builder options = WorkflowServiceStubsOptions.newBuilder().setTarget(args[0]);
    if (args.length > 3) {
      dev.trainyard.workflow.trust.TemporalTls.clientIn(java.nio.file.Path.of(args[3])).applyTo(options);
    }
    WorkflowServiceStubs stubs = WorkflowServiceStubs.newServiceStubs(options.build());
    try {
      var history = stubs.blockingStub().getWorkflowExecutionHistory(GetWorkflowExecutionHistoryRequest.newBuilder()
          .setNamespace(args.length > 2 ? args[2] : "default")
          .setExecution(WorkflowExecution.newBuilder().setWorkflowId(args[1]))
          .build()).getHistory();
      for (HistoryEvent event : history.getEventsList()) {
        String detail = switch (event.getEventType()) {
          case EVENT_TYPE_WORKFLOW_TASK_STARTED ->
              " identity=" + event.getWorkflowTaskStartedEventAttributes().getIdentity();
          case EVENT_TYPE_ACTIVITY_TASK_SCHEDULED ->
              " " + event.getActivityTaskScheduledEventAttributes().getActivityType().getName();
          default -> "";
        };
        System.out.println(event.getEventId() + " " + event.getEventType().name().substring("EVENT_TYPE_".length()) + detail);
      }
    } finally {
      stubs.shutdownNow();
    }
  }
}
