package dev.trainyard.backend.api.workers;

import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.backend.temporal.EmbeddedWorker;
import dev.trainyard.backend.temporal.TemporalRuntime;
import dev.trainyard.workflow.TaskQueues;
import io.temporal.api.enums.v1.TaskQueueType;
import io.temporal.api.taskqueue.v1.PollerInfo;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueRequest;
import io.temporal.client.WorkflowClient;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The worker fleet: the in-process worker of local mode with its GPUs and running steps, and every
 * worker Temporal has seen polling a pool's task queue (where the service reports pollers).
 */
@Path("/api/v1/workers")
@Produces(MediaType.APPLICATION_JSON)
public class WorkersResource {
  @Inject TemporalRuntime temporal;
  @Inject WorkflowClient client;
  @Inject TrainyardConfig config;

  public record Gpu(int index, String name, long memoryTotalBytes) {}

  public record WorkerView(
      String id,
      List<String> pools,
      String host,
      @Schema(enumeration = {"IDLE", "BUSY", "POLLING"}) String status,
      Instant lastHeartbeatAt,
      int runningSteps,
      List<Gpu> gpus) {}

  public record WorkerList(List<WorkerView> items) {}

  @Operation(
      summary = "List workers",
      description =
          "The in-process worker of local mode with its GPUs, and every worker polling a pool's task queue.")
  @GET
  public WorkerList list() {
    Map<String, WorkerView> workers = new LinkedHashMap<>();
    temporal.embeddedWorker().ifPresent(w -> workers.put("local", local(w)));
    List<String> pools = new ArrayList<>(config.worker().pools());
    for (String pool : pools) {
      for (PollerInfo poller : pollers(pool)) {
        String id = poller.getIdentity();
        if (workers.containsKey("local") && id.contains("@")) {
          continue; // the in-process worker, already listed with more detail
        }
        Instant seen =
            Instant.ofEpochSecond(
                poller.getLastAccessTime().getSeconds(), poller.getLastAccessTime().getNanos());
        workers.merge(
            id,
            new WorkerView(
                id,
                List.of(pool),
                id.contains("@") ? id.substring(id.indexOf('@') + 1) : id,
                "POLLING",
                seen,
                0,
                List.of()),
            (a, b) ->
                new WorkerView(
                    a.id(),
                    concat(a.pools(), b.pools()),
                    a.host(),
                    a.status(),
                    a.lastHeartbeatAt(),
                    0,
                    List.of()));
      }
    }
    return new WorkerList(List.copyOf(workers.values()));
  }

  private WorkerView local(EmbeddedWorker worker) {
    List<Gpu> gpus =
        worker.gpus().stream()
            .map(g -> new Gpu(g.index(), g.name(), g.memoryMiB() * 1024 * 1024))
            .toList();
    String host = java.util.Optional.ofNullable(System.getenv("HOSTNAME")).orElse("localhost");
    return new WorkerView(
        "local",
        worker.pools(),
        host,
        worker.runningSteps() > 0 ? "BUSY" : "IDLE",
        Instant.now(),
        worker.runningSteps(),
        gpus);
  }

  /** Pollers of a pool's queue; empty where the service does not answer DescribeTaskQueue. */
  private List<PollerInfo> pollers(String pool) {
    try {
      return client
          .getWorkflowServiceStubs()
          .blockingStub()
          .describeTaskQueue(
              DescribeTaskQueueRequest.newBuilder()
                  .setNamespace(client.getOptions().getNamespace())
                  .setTaskQueue(TaskQueue.newBuilder().setName(TaskQueues.pool(pool)).build())
                  .setTaskQueueType(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)
                  .build())
          .getPollersList();
    } catch (RuntimeException unsupported) {
      return List.of();
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    b.stream().filter(x -> !all.contains(x)).forEach(all::add);
    return all;
  }
}
