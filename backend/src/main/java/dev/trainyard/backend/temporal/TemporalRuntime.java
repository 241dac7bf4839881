package dev.trainyard.backend.temporal;

import com.google.protobuf.Empty;
import dev.trainyard.backend.catalog.CatalogLedger;
import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.backend.trust.RunGate;
import dev.trainyard.backend.trust.SigningKey;
import dev.trainyard.worker.TrainyardWorker;
import dev.trainyard.worker.WorkerConfig;
import dev.trainyard.workflow.PipelineWorkflowImpl;
import dev.trainyard.workflow.TaskQueues;
import dev.trainyard.workflow.trust.TemporalConnection;
import dev.trainyard.workflow.trust.TemporalTls;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.temporal.api.testservice.v1.TestServiceGrpc;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.RpcRetryOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Connects to Temporal (or starts the embedded service), hosts the workflow worker with the ledger
 * activities, and in local mode an in-process step worker. Plain SDK wiring: a few producers.
 */
@ApplicationScoped
public class TemporalRuntime {
  private static final Logger LOG = Logger.getLogger(TemporalRuntime.class);

  @Inject TrainyardConfig config;
  @Inject CatalogLedger ledger;
  @Inject dev.trainyard.backend.steps.BackendSteps backendSteps;
  @Inject RunGate gate;
  @Inject SigningKey signing;
  @Inject dev.trainyard.backend.local.WorkerHomeFiles homeFiles;
  @Inject dev.trainyard.backend.observability.GpuMetrics gpuMetrics;

  private EmbeddedTemporal embedded;
  private WorkflowServiceStubs stubs;
  private WorkflowClient client;
  private WorkerFactory factory;
  private TrainyardWorker stepWorker;
  private TemporalTls tls;
  private TemporalConnection connection;

  void onStart(@Observes @Priority(10) StartupEvent event) {
    start();
  }

  synchronized void start() {
    if (client != null) {
      return;
    }
    String target = config.temporal().target();
    if (isEmbedded()) {
      try {
        LocalTls.Material material = LocalTls.ensure(config.home().resolve("tls"));
        embedded = EmbeddedTemporal.start(config.temporal().embeddedPort(), material);
        tls = material.client();
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot start the embedded Temporal service on 127.0.0.1:"
                + config.temporal().embeddedPort()
                + " (is the port taken?)",
            e);
      }
      target = embedded.target();
      LOG.infof(
          "Embedded Temporal service listening on %s (mTLS, certificates in %s)",
          target, tls.cert().getParent());
      connection = TemporalConnection.of(tls);
    } else {
      connection = configuredConnection();
      tls = connection.tls();
      LOG.infof("Temporal at %s: %s", target, connection.describe());
    }
    WorkflowServiceStubsOptions.Builder options =
        connection.applyTo(WorkflowServiceStubsOptions.newBuilder());
    stubs =
        WorkflowServiceStubs.newServiceStubs(
            options
                .setTarget(target)
                .setRpcTimeout(Duration.ofSeconds(10))
                // An API call that cannot reach Temporal gives up within seconds (the caller gets
                // 503 +
                // Retry-After) instead of holding the HTTP request for the SDK's default minute.
                .setRpcRetryOptions(
                    RpcRetryOptions.newBuilder()
                        .setInitialInterval(Duration.ofMillis(100))
                        .setMaximumInterval(Duration.ofSeconds(1))
                        .setExpiration(Duration.ofSeconds(5))
                        .validateBuildWithDefaults())
                .build());
    client =
        WorkflowClient.newInstance(
            stubs,
            WorkflowClientOptions.newBuilder().setNamespace(config.temporal().namespace()).build());

    factory = WorkerFactory.newInstance(client);
    startWorkersWhenReachable();
  }

  /**
   * The API must come up even while Temporal is away (reads need only the catalog; launches answer
   * 503): the workers start as soon as the service answers, retrying in the background.
   */
  private void startWorkersWhenReachable() {
    try {
      startWorkers();
    } catch (RuntimeException unreachable) {
      LOG.warnf(
          "Temporal at %s is unreachable (%s); starting the workers when it answers",
          config.temporal().target(), unreachable.getMessage());
      Thread.ofVirtual()
          .name("temporal-reconnect")
          .start(
              () -> {
                while (!stopping) {
                  try {
                    Thread.sleep(5_000);
                    startWorkers();
                    LOG.info("Temporal answered; workers started");
                    return;
                  } catch (InterruptedException e) {
                    return;
                  } catch (RuntimeException stillUnreachable) {
                    // keep waiting
                  }
                }
              });
    }
  }

  private synchronized void startWorkers() {
    if (!factory.isStarted()) {
      if (factory.tryGetWorker(TaskQueues.WORKFLOWS) == null) {
        Worker workflows = factory.newWorker(TaskQueues.WORKFLOWS, workflowWorkerOptions());
        workflows.registerWorkflowImplementationTypes(PipelineWorkflowImpl.class);
        workflows.registerActivitiesImplementations(ledger, backendSteps, gate);
      }
      factory.start();
    }
    if (config.worker().embedded() && stepWorker == null) {
      WorkerConfig workerConfig =
          new WorkerConfig(
              config.home(),
              config.worker().pools(),
              config.worker().maxConcurrentSteps(),
              Duration.ofSeconds(10),
              secretsOutsideHome());
      dev.trainyard.worker.gpu.GpuInventory gpus =
          dev.trainyard.worker.gpu.GpuInventory.detect(config.worker().nvidiaSmi());
      // The backend's configured store (S3 in team mode), else the worker's own under the home.
      stepWorker =
          homeFiles
              .workerStore()
              .map(
                  store ->
                      new TrainyardWorker(workerConfig, client, gpus, store, signing.verifier()))
              .orElseGet(() -> new TrainyardWorker(workerConfig, client, gpus, signing.verifier()))
              .sampleGpus(
                  config.worker().nvidiaSmi(),
                  config.worker().gpuSampleInterval(),
                  snapshot -> gpuMetrics.sampled(EmbeddedWorker.ID, reading(snapshot)));
      stepWorker.start();
      LOG.infof("In-process worker polling pools %s", config.worker().pools());
    }
  }

  private volatile boolean stopping;

  /**
   * What the in-process worker's steps must not read besides the home (which they see only the
   * store and trainer runtime of): the secret files configured to live elsewhere.
   */
  private List<Path> secretsOutsideHome() {
    List<Path> secrets = new ArrayList<>();
    if (tls != null && tls.key() != null) {
      secrets.add(tls.key());
    }
    config.temporal().apiKeyFile().ifPresent(secrets::add);
    secrets.add(config.audit().hmacKeyFile());
    secrets.add(config.audit().anchorFile());
    return secrets;
  }

  /**
   * Sticky execution off against a standalone SDK test server. After a workflow task completes, the
   * test server routes the workflow's next task to the sticky queue of the worker that completed
   * it, and it implements no sticky schedule-to-start timeout (ResetStickyTaskQueue is
   * unimplemented, ShutdownWorker a no-op): when the backend is killed, its workflows' next tasks
   * wait on a queue nobody polls any more, and the runs never finish. A real cluster moves such a
   * task to the normal queue after the sticky schedule-to-start timeout (5 s), so it keeps sticky
   * execution. A zero timeout makes the SDK send no sticky attributes: every task goes to the
   * normal queue and replays the history (small for pipelines). The embedded service dies with this
   * process, so it can never hold a stranded task: it keeps sticky execution too.
   */
  private WorkerOptions workflowWorkerOptions() {
    boolean sticky =
        config.temporal().stickyExecution().orElseGet(() -> isEmbedded() || !isSdkTestServer());
    // Bulkheads, so that a burst of runs cannot starve the API: workflow tasks are short and
    // CPU-bound,
    // so about one per core (the SDK's 200 made 2 cores thrash: read p99 276 ms under 1,000 runs,
    // 71 ms
    // with 2, at the same throughput, see docs/benchmarks.md); ledger writes hold a database
    // connection
    // each, so fewer of them than the pool has connections.
    int workflowTasks =
        config
            .temporal()
            .workflowTaskConcurrency()
            .orElse(Math.max(2, Runtime.getRuntime().availableProcessors()));
    WorkerOptions.Builder options =
        WorkerOptions.newBuilder()
            .setMaxConcurrentWorkflowTaskExecutionSize(
                Math.max(2, workflowTasks)) // the SDK needs 2 or more
            .setMaxConcurrentLocalActivityExecutionSize(config.temporal().ledgerConcurrency());
    if (sticky) {
      return options.build();
    }
    LOG.infof(
        "Sticky execution off: %s is the SDK's test server, which cannot move a workflow task off a "
            + "dead worker's sticky queue",
        config.temporal().target());
    return options.setStickyQueueScheduleToStartTimeout(Duration.ZERO).build();
  }

  /**
   * Only the SDK's test server serves its TestService API; a real cluster answers UNIMPLEMENTED.
   */
  private boolean isSdkTestServer() {
    try {
      TestServiceGrpc.newBlockingStub(stubs.getRawChannel())
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .getCurrentTime(Empty.getDefaultInstance());
      return true;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNAVAILABLE
          || e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
        throw e; // unreachable: decided when it answers (startWorkersWhenReachable retries)
      }
      return false;
    }
  }

  /**
   * The configured connection of team mode (TLS, mTLS, API key), checked now: a missing or
   * mismatched file stops the start with the setting that named it.
   */
  private TemporalConnection configuredConnection() {
    TrainyardConfig.Tls settings = config.temporal().tls();
    TemporalConnection configured;
    try {
      configured =
          TemporalConnection.configure(
              new TemporalConnection.Settings(
                  settings.enabled(),
                  settings.cert().orElse(null),
                  settings.key().orElse(null),
                  settings.ca().orElse(null),
                  config.temporal().apiKeyFile().orElse(null)),
              System.getenv(),
              SETTING_NAMES);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    if (configured.tls() == null) {
      LOG.warnf(
          "Temporal at %s without TLS: set trainyard.temporal.tls.ca (and .cert, .key for mTLS), "
              + "docs/deploy.md",
          config.temporal().target());
    }
    return configured;
  }

  static final TemporalConnection.SettingNames SETTING_NAMES =
      new TemporalConnection.SettingNames(
          "trainyard.temporal.tls.enabled",
          "trainyard.temporal.tls.cert",
          "trainyard.temporal.tls.key",
          "trainyard.temporal.tls.ca",
          "trainyard.temporal.api-key-file");

  /**
   * The TLS settings this backend's Temporal clients use (the embedded service's client files in
   * local mode).
   */
  public java.util.Optional<TemporalTls> clientTls() {
    start();
    return java.util.Optional.ofNullable(tls);
  }

  /** The in-process worker of local mode, if any: what it serves and runs now. */
  public java.util.Optional<EmbeddedWorker> embeddedWorker() {
    TrainyardWorker w = stepWorker;
    return java.util.Optional.ofNullable(w)
        .map(
            worker ->
                new EmbeddedWorker(
                    worker.config().pools(),
                    worker.gpus().gpus().stream()
                        .map(
                            g ->
                                new EmbeddedWorker.Gpu(
                                    g.index(), g.name(), g.memoryMiB(), g.uuid()))
                        .toList(),
                    worker.runningSteps(),
                    reading(worker.gpuTelemetry())));
  }

  private static dev.trainyard.backend.observability.GpuReading reading(
      dev.trainyard.worker.gpu.GpuTelemetry.Snapshot snapshot) {
    return new dev.trainyard.backend.observability.GpuReading(
        snapshot.sampledAt(),
        snapshot.gpus().stream()
            .map(
                g ->
                    new dev.trainyard.backend.observability.GpuReading.Gpu(
                        g.sample().index(),
                        g.sample().uuid(),
                        g.sample().utilizationRatio(),
                        g.sample().memoryUsedMiB(),
                        g.sample().memoryTotalMiB(),
                        g.sample().temperatureCelsius(),
                        g.step() == null
                            ? null
                            : new dev.trainyard.backend.observability.GpuReading.Step(
                                g.step().runId(), g.step().stepId(), g.step().attempt())))
            .toList(),
        snapshot.problems());
  }

  /** Where workers connect: the embedded service's address, or the configured target. */
  public String target() {
    start();
    return embedded != null ? embedded.target() : config.temporal().target();
  }

  public boolean isEmbedded() {
    return "embedded".equals(config.temporal().target());
  }

  @Produces
  @ApplicationScoped
  WorkflowClient workflowClient() {
    start();
    return client;
  }

  void onStop(@Observes ShutdownEvent event) {
    stopping = true;
    if (stepWorker != null) {
      stepWorker.close();
    }
    if (factory != null) {
      factory.shutdownNow();
    }
    if (stubs != null) {
      stubs.shutdownNow();
    }
    if (embedded != null) {
      embedded.close();
    }
  }
}
