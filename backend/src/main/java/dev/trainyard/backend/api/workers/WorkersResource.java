package dev.trainyard.backend.api.workers;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.backend.observability.GpuReading;
import dev.trainyard.backend.runs.RunReader;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The worker fleet: the in-process worker of local mode with its GPUs and running steps, and every
 * worker Temporal has seen polling a pool's task queue (where the service reports pollers).
 */
@Path("/api/v1/workers")
@Produces(MediaType.APPLICATION_JSON)
public class WorkersResource {
  private static final long MIB = 1024L * 1024L;

  @Inject TemporalRuntime temporal;
  @Inject WorkflowClient client;
  @Inject TrainyardConfig config;
  @Inject RunReader runs;

  /** The step attempt a GPU is leased to. */
  public record GpuStep(String runId, String stepId, int attempt) {}

  /**
   * A GPU as found at start, with its latest sample; a sampled value the driver does not report (or
   * every one, before the first sample or when the GPU could not be read) is null.
   */
  public record Gpu(
      int index,
      String name,
      String uuid,
      long memoryTotalBytes,
      @Schema(nullable = true) Long memoryUsedBytes,
      @Schema(nullable = true, description = "Busy fraction over the last sample period, 0 to 1")
          Double utilizationRatio,
      @Schema(nullable = true) Integer temperatureCelsius,
      @Schema(description = "Leased to a step attempt now (as of the last sample)") boolean leased,
      @Schema(
              nullable = true,
              description =
                  "The step attempt the GPU is leased to; null when free, or when it runs a run the caller may not see")
          GpuStep step) {}

  public record WorkerView(
      String id,
      List<String> pools,
      String host,
      @Schema(enumeration = {"IDLE", "BUSY", "POLLING"}) String status,
      Instant lastHeartbeatAt,
      int runningSteps,
      List<Gpu> gpus,
      @Schema(nullable = true, description = "When the GPUs were last sampled; null before that")
          Instant gpusSampledAt,
      @Schema(description = "What the last GPU sample could not read, verbatim from nvidia-smi")
          List<String> gpuProblems) {}

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
                List.of(),
                null,
                List.of()),
            (a, b) ->
                new WorkerView(
                    a.id(),
                    concat(a.pools(), b.pools()),
                    a.host(),
                    a.status(),
                    a.lastHeartbeatAt(),
                    0,
                    List.of(),
                    null,
                    List.of()));
      }
    }
    return new WorkerList(List.copyOf(workers.values()));
  }

  private WorkerView local(EmbeddedWorker worker) {
    Map<Integer, GpuReading.Gpu> sampled = new HashMap<>();
    worker.telemetry().gpus().forEach(g -> sampled.put(g.index(), g));
    List<Gpu> gpus =
        worker.gpus().stream()
            .map(g -> gpu(g, Optional.ofNullable(sampled.get(g.index()))))
            .toList();
    String host = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("localhost");
    return new WorkerView(
        EmbeddedWorker.ID,
        worker.pools(),
        host,
        worker.runningSteps() > 0 ? "BUSY" : "IDLE",
        Instant.now(),
        worker.runningSteps(),
        gpus,
        worker.telemetry().sampledAt(),
        worker.telemetry().problems());
  }

  private Gpu gpu(EmbeddedWorker.Gpu found, Optional<GpuReading.Gpu> sample) {
    return new Gpu(
        found.index(),
        found.name(),
        found.uuid(),
        found.memoryMiB() * MIB,
        sample.map(GpuReading.Gpu::memoryUsedMiB).map(m -> m * MIB).orElse(null),
        sample.map(GpuReading.Gpu::utilizationRatio).orElse(null),
        sample.map(GpuReading.Gpu::temperatureCelsius).orElse(null),
        sample.map(GpuReading.Gpu::step).isPresent(),
        sample
            .map(GpuReading.Gpu::step)
            .filter(this::visible)
            .map(s -> new GpuStep(s.runId(), s.stepId(), s.attempt()))
            .orElse(null));
  }

  /** Another team's run id is not shown: the GPU reads as busy, its step as unknown. */
  private boolean visible(GpuReading.Step step) {
    try {
      runs.get(step.runId());
      return true;
    } catch (ApiProblem notFound) {
      return false;
    }
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
