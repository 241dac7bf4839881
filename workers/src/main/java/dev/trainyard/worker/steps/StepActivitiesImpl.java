package dev.trainyard.worker.steps;

import dev.trainyard.pipeline.kind.Output;
import dev.trainyard.worker.gpu.GpuAllocator;
import dev.trainyard.worker.gpu.GpuLease;
import dev.trainyard.worker.launch.StepProcess;
import dev.trainyard.worker.launch.StepSandbox;
import dev.trainyard.worker.runtime.PythonRuntime;
import dev.trainyard.worker.runtime.RuntimeCheck;
import dev.trainyard.worker.store.ArtifactStore;
import dev.trainyard.worker.store.InvalidArtifactException;
import dev.trainyard.workflow.FailureType;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs one attempt of a step on this host: prepares its work dir, waits for its GPUs, runs its kind
 * (a step process, or in-process code) while heartbeating, and stores what it wrote. Synchronous on
 * purpose — the activity thread blocks on the step, so the worker's concurrency limit is the number
 * of steps running.
 */
public final class StepActivitiesImpl implements StepActivities {
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(2);
  private static final int FAILURE_LOG_LINES = 20;
  private static final Logger LOG = Logger.getLogger(StepActivitiesImpl.class.getName());

  private final Path root;
  private final ArtifactStore store;
  private final GpuAllocator gpus;
  private final Duration terminationGrace;
  private final Duration heartbeatInterval;
  private final String workerId;
  private final StepKindRegistry kinds;
  private final List<Path> hiddenFromSteps;
  private final Set<StepProcess> running = ConcurrentHashMap.newKeySet();
  private volatile boolean shuttingDown;
  private volatile StepSandbox sandbox;

  /**
   * @param root the worker's root dir; attempts run under {@code <root>/work/}
   * @param terminationGrace how long a cancelled step has between SIGTERM and SIGKILL
   */
  public StepActivitiesImpl(
      Path root, ArtifactStore store, GpuAllocator gpus, Duration terminationGrace) {
    this(root, store, gpus, terminationGrace, List.of());
  }

  /**
   * @param hiddenFromSteps secrets outside {@code root} a step must not read (the rest of the root
   *     is hidden anyway, see {@link StepSandbox})
   */
  public StepActivitiesImpl(
      Path root,
      ArtifactStore store,
      GpuAllocator gpus,
      Duration terminationGrace,
      List<Path> hiddenFromSteps) {
    this(
        root,
        store,
        gpus,
        terminationGrace,
        DEFAULT_HEARTBEAT_INTERVAL,
        WorkerIdentity.current(),
        StepKindRegistry.standard(PythonRuntime.fromEnvironment(root.toAbsolutePath())),
        hiddenFromSteps);
  }

  public StepActivitiesImpl(
      Path root,
      ArtifactStore store,
      GpuAllocator gpus,
      Duration terminationGrace,
      Duration heartbeatInterval,
      String workerId) {
    this(
        root,
        store,
        gpus,
        terminationGrace,
        heartbeatInterval,
        workerId,
        StepKindRegistry.standard(PythonRuntime.fromEnvironment(root.toAbsolutePath())));
  }

  /**
   * @param kinds the kinds this worker runs
   */
  public StepActivitiesImpl(
      Path root,
      ArtifactStore store,
      GpuAllocator gpus,
      Duration terminationGrace,
      Duration heartbeatInterval,
      String workerId,
      StepKindRegistry kinds) {
    this(root, store, gpus, terminationGrace, heartbeatInterval, workerId, kinds, List.of());
  }

  private StepActivitiesImpl(
      Path root,
      ArtifactStore store,
      GpuAllocator gpus,
      Duration terminationGrace,
      Duration heartbeatInterval,
      String workerId,
      StepKindRegistry kinds,
      List<Path> hiddenFromSteps) {
    this.hiddenFromSteps = List.copyOf(hiddenFromSteps);
    this.root = root.toAbsolutePath();
    this.store = store;
    this.gpus = gpus;
    this.terminationGrace = terminationGrace;
    this.heartbeatInterval = heartbeatInterval;
    this.workerId = workerId;
    this.kinds = kinds;
  }

  /**
   * Checks the trainer's Python runtime in the background and logs what it offers or exactly what
   * is missing. Called when a worker starts (not from the constructor, so building one has no side
   * effects).
   */
  public void checkRuntimeInBackground() {
    kinds
        .python()
        .ifPresent(
            python ->
                Thread.ofVirtual()
                    .name("python-runtime-check")
                    .start(
                        () -> {
                          RuntimeCheck check = python.check();
                          if (check.ok()) {
                            LOG.info("trainer runtime: " + check.summary());
                          } else {
                            LOG.warning(
                                "trainer runtime: "
                                    + check.summary()
                                    + " — training and evaluate steps will fail until it is fixed");
                          }
                        }));
  }

  /** The kinds this worker runs. */
  public StepKindRegistry kinds() {
    return kinds;
  }

  @Override
  public StepResult execute(StepTask task) {
    StepKindRunner kind =
        kinds
            .find(task.kind())
            .orElseThrow(
                () ->
                    FailureType.KIND_NOT_SUPPORTED.failure(
                        "step kind '"
                            + task.kind()
                            + "' is not supported by this worker (it runs "
                            + kinds.names()
                            + ")"));
    ActivityExecutionContext context = Activity.getExecutionContext();
    long startedNanos = System.nanoTime();
    try {
      AttemptWorkDir workDir = AttemptWorkDir.create(root, task, store);
      ProcessStepKind.Launch launch = null;
      if (kind instanceof ProcessStepKind process) {
        launch = prepare(task, process, workDir); // before GPUs: bad input never holds one
      }
      try (GpuLease lease = acquireGpus(task, context, startedNanos)) {
        Path resume =
            kind instanceof ProcessStepKind p && p.resumable()
                ? ResumePoints.newest(root, task.runId(), task.stepId(), task.attempt())
                    .orElse(null)
                : null;
        workDir.writeStepJson(lease, resume, kind.kind().runner());
        return switch (kind) {
          case ProcessStepKind process ->
              run(task, process, workDir, launch, lease, context, startedNanos);
          case InProcessStepKind inProcess ->
              runInProcess(task, inProcess, workDir, lease, context, startedNanos);
        };
      }
    } catch (IOException e) {
      // Disk trouble on this host; another attempt (maybe elsewhere) may succeed.
      throw FailureType.WORKER_IO_ERROR.failure(
          "step '" + task.stepId() + "' could not be run on " + workerId + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw FailureType.WORKER_SHUTDOWN.failure("worker " + workerId + " is shutting down");
    }
  }

  private ProcessStepKind.Launch prepare(
      StepTask task, ProcessStepKind kind, AttemptWorkDir workDir) throws IOException {
    try {
      return kind.launch(task, workDir);
    } catch (IllegalArgumentException e) {
      throw FailureType.INVALID_STEP.failure("step '" + task.stepId() + "': " + e.getMessage());
    } catch (StepKindUnavailableException e) {
      throw FailureType.RUNTIME_MISSING.failure(
          "step '" + task.stepId() + "' cannot run on " + workerId + ": " + e.getMessage());
    }
  }

  /**
   * Probed at the first step rather than at construction, so building a worker starts no process.
   */
  private StepSandbox sandbox() {
    StepSandbox known = sandbox;
    if (known == null) {
      // A step sees of the root only the store and the trainer runtime (and its own step's dirs).
      List<Path> readOnly = new java.util.ArrayList<>(store.localDirectories());
      readOnly.add(root.resolve("runtime"));
      kinds
          .python()
          .map(p -> p.python().getParent())
          .filter(bin -> bin != null && bin.isAbsolute() && bin.startsWith(root))
          .ifPresent(bin -> readOnly.add(bin.getParent())); // a virtualenv kept in the root
      known = sandbox = StepSandbox.detect(root, readOnly, hiddenFromSteps);
    }
    return known;
  }

  /**
   * Stops every running step (SIGTERM, grace, SIGKILL) — they fail as retryable, not as the step's
   * fault.
   */
  public void shutdown() {
    shuttingDown = true;
    List<Thread> stopping =
        running.stream()
            .map(p -> Thread.ofVirtual().name("stop-step-" + p.pid()).start(p::cancel))
            .toList();
    for (Thread t : stopping) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Step processes running now; for status pages and tests. */
  public int runningSteps() {
    return running.size();
  }

  private StepResult run(
      StepTask task,
      ProcessStepKind kind,
      AttemptWorkDir workDir,
      ProcessStepKind.Launch launch,
      GpuLease lease,
      ActivityExecutionContext context,
      long startedNanos)
      throws IOException, InterruptedException {
    Map<String, String> env = workDir.contractEnvironment(lease);
    env.putAll(launch.env());
    Path log = workDir.log();
    refuseIfShuttingDown(task);
    StepProcess process =
        StepProcess.start(launch.command(), workDir.dir(), env, log, terminationGrace, sandbox());
    running.add(process);
    int exitCode;
    try {
      if (shuttingDown) {
        process.cancel(); // shutdown() may have swept the running set just before we joined it
      }
      exitCode = superviseUntilExit(task, process, workDir, context, startedNanos);
    } finally {
      running.remove(process);
    }
    if (process.wasCancelled() && shuttingDown) {
      throw FailureType.WORKER_SHUTDOWN.failure(
          "step '"
              + task.stepId()
              + "' was stopped because worker "
              + workerId
              + " is shutting down");
    }
    if (exitCode != 0) {
      FailureType type = kind.failureType(exitCode);
      String message =
          "step '"
              + task.stepId()
              + "' exited with code "
              + exitCode
              + ": "
              + LogTail.lastLines(log, FAILURE_LOG_LINES);
      if (type.keepsOutput()) {
        // A failed gate's report is the evidence: store it, so its scores are not only a log line.
        throw type.failure(message, stored(task, kind, workDir, lease, context, startedNanos));
      }
      throw type.failure(message);
    }
    return stored(task, kind, workDir, lease, context, startedNanos);
  }

  /**
   * Runs an in-process kind on its own thread while this one heartbeats; a cancellation (delivered
   * by a heartbeat) or a worker shutdown interrupts it.
   */
  private StepResult runInProcess(
      StepTask task,
      InProcessStepKind kind,
      AttemptWorkDir workDir,
      GpuLease lease,
      ActivityExecutionContext context,
      long startedNanos)
      throws IOException, InterruptedException {
    refuseIfShuttingDown(task);
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread worker =
        Thread.ofVirtual()
            .name("step-" + task.stepId())
            .start(
                () -> {
                  try {
                    kind.run(task, workDir);
                    done.complete(null);
                  } catch (Throwable e) {
                    done.completeExceptionally(e);
                  }
                });
    Duration limit = task.timeoutSeconds() > 0 ? Duration.ofSeconds(task.timeoutSeconds()) : null;
    try {
      while (true) {
        try {
          done.get(heartbeatInterval.toMillis(), TimeUnit.MILLISECONDS);
          break;
        } catch (TimeoutException stillRunning) {
          Duration elapsed = Duration.ofNanos(System.nanoTime() - startedNanos);
          if (shuttingDown) {
            throw FailureType.WORKER_SHUTDOWN.failure(
                "step '"
                    + task.stepId()
                    + "' was stopped because worker "
                    + workerId
                    + " is shutting down");
          }
          if (limit != null && elapsed.compareTo(limit) >= 0) {
            throw FailureType.STEP_TIMED_OUT.failure(
                "step '" + task.stepId() + "' exceeded its timeout of " + limit.toSeconds() + " s");
          }
          context.heartbeat(progress("running", elapsed, workDir.metrics()));
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof IllegalArgumentException invalid) {
            throw FailureType.INVALID_STEP.failure(
                "step '" + task.stepId() + "': " + invalid.getMessage());
          }
          if (cause instanceof IOException io) {
            throw io;
          }
          throw FailureType.STEP_FAILED.failure("step '" + task.stepId() + "' failed: " + cause);
        }
      }
    } catch (RuntimeException | InterruptedException e) {
      worker.interrupt(); // the step must not outlive the attempt
      throw e;
    }
    return stored(task, kind, workDir, lease, context, startedNanos);
  }

  private StepResult stored(
      StepTask task,
      StepKindRunner kind,
      AttemptWorkDir workDir,
      GpuLease lease,
      ActivityExecutionContext context,
      long startedNanos)
      throws IOException, InterruptedException {
    Output declared = kind.output(task);
    ProducedArtifact output =
        storeWhileHeartbeating(
            task, workDir.output(), declared.type().wireName(), context, startedNanos);
    return new StepResult(
        Map.of(declared.name(), output),
        MetricsFile.lastValues(workDir.metrics()),
        workerId,
        lease.gpus(),
        LogTail.read(workDir.log(), LogTail.DEFAULT_BYTES));
  }

  /**
   * Blocks until the process exits, heartbeating meanwhile. Heartbeats are how Temporal tells an
   * activity it was cancelled (or its workflow is gone); either way the process group is killed.
   */
  private int superviseUntilExit(
      StepTask task,
      StepProcess process,
      AttemptWorkDir workDir,
      ActivityExecutionContext context,
      long startedNanos)
      throws InterruptedException {
    Path log = workDir.log();
    Duration limit = task.timeoutSeconds() > 0 ? Duration.ofSeconds(task.timeoutSeconds()) : null;
    try {
      while (true) {
        var exit = process.waitFor(heartbeatInterval);
        if (exit.isPresent()) {
          return exit.get();
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - startedNanos);
        if (limit != null && elapsed.compareTo(limit) >= 0) {
          process.cancel();
          throw FailureType.STEP_TIMED_OUT.failure(
              "step '"
                  + task.stepId()
                  + "' exceeded its timeout of "
                  + limit.toSeconds()
                  + " s and was killed: "
                  + LogTail.lastLines(log, FAILURE_LOG_LINES));
        }
        context.heartbeat(progress("running", elapsed, workDir.metrics()));
      }
    } catch (RuntimeException | InterruptedException e) {
      // ActivityCompletionException (cancelled, timed out, workflow gone), interrupt on shutdown,
      // or
      // our own timeout: the step must not outlive the attempt.
      process.cancel();
      throw e;
    }
  }

  /**
   * Hashing a large checkpoint takes minutes; the activity keeps heartbeating meanwhile so Temporal
   * does not declare it lost. A cancellation arriving now abandons the wait; the put itself
   * finishes or fails atomically on its own thread.
   */
  private ProducedArtifact storeWhileHeartbeating(
      StepTask task,
      Path outputDir,
      String type,
      ActivityExecutionContext context,
      long startedNanos)
      throws IOException, InterruptedException {
    CompletableFuture<ProducedArtifact> put = new CompletableFuture<>();
    Thread.ofVirtual()
        .name("store-" + task.stepId())
        .start(
            () -> {
              try {
                put.complete(store.put(outputDir, type));
              } catch (Throwable e) {
                put.completeExceptionally(e);
              }
            });
    while (true) {
      try {
        return put.get(heartbeatInterval.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException stillHashing) {
        context.heartbeat(
            progress("storing-output", Duration.ofNanos(System.nanoTime() - startedNanos)));
      } catch (ExecutionException e) {
        if (e.getCause() instanceof InvalidArtifactException invalid) {
          throw FailureType.INVALID_OUTPUT.failure(
              "step '"
                  + task.stepId()
                  + "' wrote an output that cannot be stored: "
                  + invalid.getMessage());
        }
        if (e.getCause() instanceof IOException io) {
          // Retryable: a full or read-only store is an operator's fix away from working.
          throw FailureType.ARTIFACT_STORE_FAILED.failure(
              "step '"
                  + task.stepId()
                  + "' finished but the artifact store "
                  + "could not store its output: "
                  + storeProblem(io)
                  + "; nothing was registered (the files stay in "
                  + "this attempt's output dir); a retry runs the step again once the store has room or is writable",
              io);
        }
        if (e.getCause() instanceof RuntimeException runtime) {
          throw runtime;
        }
        throw new IllegalStateException(e.getCause());
      }
    }
  }

  /** "No space left on device (/path)" rather than a bare exception class. */
  private static String storeProblem(IOException io) {
    if (io instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
      return fs.getReason() + " (" + fs.getFile() + ")";
    }
    return io.getMessage() != null ? io.getMessage() : io.toString();
  }

  private GpuLease acquireGpus(StepTask task, ActivityExecutionContext context, long startedNanos)
      throws InterruptedException {
    try {
      return gpus.acquire(
          task.gpus(),
          heartbeatInterval,
          () -> {
            refuseIfShuttingDown(task);
            context.heartbeat(
                progress("waiting-for-gpus", Duration.ofNanos(System.nanoTime() - startedNanos)));
          });
    } catch (IllegalArgumentException e) {
      throw FailureType.INSUFFICIENT_GPUS.failure(
          "step '" + task.stepId() + "': " + e.getMessage());
    }
  }

  private void refuseIfShuttingDown(StepTask task) {
    if (shuttingDown) {
      throw FailureType.WORKER_SHUTDOWN.failure(
          "step '"
              + task.stepId()
              + "' was not started because worker "
              + workerId
              + " is shutting down");
    }
  }

  private static Map<String, Object> progress(String phase, Duration elapsed) {
    return Map.of("phase", phase, "elapsedSeconds", elapsed.toSeconds());
  }

  /**
   * Progress with the step's own view of it (step/total, ETA) from the last line of metrics.jsonl.
   */
  private static Map<String, Object> progress(String phase, Duration elapsed, Path metrics) {
    Map<String, Object> progress = new java.util.LinkedHashMap<>(progress(phase, elapsed));
    try {
      progress.putAll(MetricsFile.progress(metrics));
    } catch (IOException | RuntimeException unreadable) {
      LOG.log(Level.FINE, "metrics unreadable for progress", unreadable);
    }
    return progress;
  }
}
