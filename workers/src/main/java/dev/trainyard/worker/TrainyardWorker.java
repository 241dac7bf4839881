package dev.trainyard.worker;

import dev.trainyard.worker.gpu.GpuAllocator;
import dev.trainyard.worker.gpu.GpuInventory;
import dev.trainyard.worker.gpu.GpuTelemetry;
import dev.trainyard.worker.steps.StepActivitiesImpl;
import dev.trainyard.worker.store.ArtifactStore;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.workflow.TaskQueues;
import dev.trainyard.workflow.trust.TaskVerifier;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Temporal worker that runs steps: one Temporal {@link Worker} per pool, all sharing this host's
 * GPUs and artifact store. Embeddable (the backend runs one in local mode): no static state, no
 * exit.
 */
public final class TrainyardWorker implements AutoCloseable {
  private final WorkerConfig config;
  private final WorkflowClient client;
  private final GpuInventory gpus;
  private final ArtifactStore store;
  private final StepActivitiesImpl activities;
  private final TaskVerifier verifier;
  private final GpuAllocator allocator;
  private GpuTelemetry telemetry;
  private WorkerFactory factory;

  /**
   * Detects the host's GPUs and uses a local artifact store under {@code config.root()}.
   *
   * @param verifier the backend's public key: only steps it signed run here
   */
  public TrainyardWorker(WorkerConfig config, WorkflowClient client, TaskVerifier verifier) {
    this(config, client, GpuInventory.detect(), verifier);
  }

  public TrainyardWorker(
      WorkerConfig config, WorkflowClient client, GpuInventory gpus, TaskVerifier verifier) {
    this(config, client, gpus, newLocalStore(config), verifier);
  }

  public TrainyardWorker(
      WorkerConfig config,
      WorkflowClient client,
      GpuInventory gpus,
      ArtifactStore store,
      TaskVerifier verifier) {
    this.verifier =
        java.util.Objects.requireNonNull(verifier, "a worker needs the backend's public key");
    this.config = config;
    this.client = client;
    this.gpus = gpus;
    this.store = store;
    this.allocator = new GpuAllocator(gpus);
    this.telemetry =
        new GpuTelemetry(
            GpuInventory.NVIDIA_SMI, GpuTelemetry.DEFAULT_INTERVAL, allocator, snapshot -> {});
    this.activities =
        new StepActivitiesImpl(
            config.root(), store, allocator, config.terminationGrace(), config.hiddenFromSteps());
  }

  private static LocalArtifactStore newLocalStore(WorkerConfig config) {
    LocalArtifactStore store = new LocalArtifactStore(config.root());
    try {
      store.sweepStaging(); // nothing of ours is mid-put before start
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean " + config.root().resolve("tmp"), e);
    }
    return store;
  }

  /**
   * How this worker samples its GPUs (from {@link #start()} on, only where it has GPUs): {@code
   * executable} is the {@code nvidia-smi} to run, {@code listener} hears every sample.
   */
  public synchronized TrainyardWorker sampleGpus(
      String executable, Duration interval, Consumer<GpuTelemetry.Snapshot> listener) {
    if (factory != null) {
      throw new IllegalStateException("set GPU sampling before the worker starts");
    }
    telemetry = new GpuTelemetry(executable, interval, allocator, listener);
    return this;
  }

  /** Starts polling every pool's task queue. */
  public synchronized void start() {
    if (factory != null) {
      throw new IllegalStateException("worker already started");
    }
    factory = WorkerFactory.newInstance(client);
    WorkerOptions options =
        WorkerOptions.newBuilder()
            .setMaxConcurrentActivityExecutionSize(config.maxConcurrentSteps())
            // Cancellation reaches a step through its heartbeat; send one at least every second so
            // a
            // cancelled step's processes stop within seconds, not 80% of the heartbeat timeout.
            .setMaxHeartbeatThrottleInterval(Duration.ofSeconds(1))
            .build();
    for (String pool : config.pools()) {
      Worker worker = factory.newWorker(TaskQueues.pool(pool), options);
      worker.registerActivitiesImplementations(new SignedStepsOnly(activities, verifier));
    }
    factory.start();
    activities.checkRuntimeInBackground();
    if (gpus.count() > 0) {
      telemetry.start();
    }
  }

  /**
   * Stops polling, stops running steps (SIGTERM, grace, SIGKILL; their attempts fail as retryable
   * {@code WorkerShutdown}) and waits for the activity threads to report.
   */
  @Override
  public synchronized void close() {
    if (factory == null) {
      return;
    }
    telemetry.close();
    factory.shutdown();
    activities.shutdown();
    factory.awaitTermination(config.terminationGrace().toSeconds() + 10, TimeUnit.SECONDS);
    if (!factory.isTerminated()) {
      factory.shutdownNow();
      factory.awaitTermination(5, TimeUnit.SECONDS);
    }
    factory = null;
  }

  public WorkerConfig config() {
    return config;
  }

  public GpuInventory gpus() {
    return gpus;
  }

  public ArtifactStore store() {
    return store;
  }

  /** The latest GPU sample, each GPU with the step it is leased to; empty before the first. */
  public GpuTelemetry.Snapshot gpuTelemetry() {
    return telemetry.snapshot();
  }

  /** Step processes running now. */
  public int runningSteps() {
    return activities.runningSteps();
  }
}
