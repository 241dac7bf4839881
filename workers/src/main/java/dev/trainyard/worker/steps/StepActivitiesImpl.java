package dev.trainyard.worker.steps;

import dev.trainyard.worker.gpu.GpuAllocator;
import dev.trainyard.worker.gpu.GpuHolder;
import dev.trainyard.worker.gpu.GpuLease;
import dev.trainyard.worker.launch.StepProcess;
import dev.trainyard.worker.launch.StepSandbox;
import dev.trainyard.worker.runtime.PythonRuntime;
import dev.trainyard.worker.runtime.RuntimeCheck;
import dev.trainyard.worker.store.ArtifactStore;
import dev.trainyard.workflow.FailureType;
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
import java.util.logging.Logger;

/**
 * Runs one attempt of a step on this host: prepares its work dir, waits for its GPUs, runs its kind
 * (a step process, or in-process code) while heartbeating, and stores what it wrote. Synchronous on
 * purpose — the activity thread blocks on the step, so the worker's concurrency limit is the number
 * of steps running.
 */
public final class StepActivitiesImpl implements StepActivities {
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(2);

  /** How long an ending attempt waits for its resume state upload in flight. */
  private static final Duration RESUME_UPLOAD_WAIT = Duration.ofSeconds(60);

  private static final Logger LOG = Logger.getLogger(StepActivitiesImpl.class.getName());

  private final Path root;
  private final ArtifactStore store;
  private final GpuAllocator gpus;
  private final Duration terminationGrace;
  private final HeartbeatLoop heartbeats;
  private final String workerId;
  private final StepKindRegistry kinds;
  private final StepFailures failures;
  private final OutputStorer outputs;
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
    this.heartbeats = new HeartbeatLoop(heartbeatInterval);
    this.workerId = workerId;
    this.kinds = kinds;
    this.failures = new StepFailures(workerId);
    this.outputs = new OutputStorer(store, heartbeats, workerId);
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
        kinds.find(task.kind()).orElseThrow(() -> failures.kindNotSupported(task, kinds.names()));
    ActivityExecutionContext context = Activity.getExecutionContext();
    long startedNanos = System.nanoTime();
    try (AttemptWorkDir workDir = AttemptWorkDir.create(root, task, store)) {
      ProcessStepKind.Launch launch = null;
      if (kind instanceof ProcessStepKind process) {
        launch = prepare(task, process, workDir); // before GPUs: bad input never holds one
      }
      try (GpuLease lease = acquireGpus(task, context, startedNanos);
          ResumeFrom from = resumeFrom(task, kind)) {
        Path resume = from.dir();
        if (resume != null && kind instanceof ProcessStepKind process) {
          launch = process.resumeAt(launch, workDir, resume, from.step());
        }
        workDir.writeStepJson(lease, resume, kind.kind().runner());
        return switch (kind) {
          case ProcessStepKind process ->
              run(task, process, workDir, launch, lease, context, startedNanos);
          case InProcessStepKind inProcess ->
              runInProcess(task, inProcess, workDir, lease, context, startedNanos);
        };
      }
    } catch (IOException e) {
      throw failures.workerIo(task, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failures.interrupted();
    }
  }

  /** Where an attempt resumes (its training step), and the store's hold on it while it runs. */
  private record ResumeFrom(Path dir, long step, ArtifactStore.Lease lease)
      implements AutoCloseable {
    static final ResumeFrom NONE = new ResumeFrom(null, -1, null);

    @Override
    public void close() {
      if (lease != null) {
        lease.close();
      }
    }
  }

  /**
   * A kind that keeps intermediate checkpoints resumes from the newest one of an earlier attempt:
   * in this host's work dirs or, if newer there, in the store (written by another host; see {@link
   * ResumeStates}).
   */
  private ResumeFrom resumeFrom(StepTask task, StepKindRunner kind) throws IOException {
    ResumePoints.Layout layout =
        kind instanceof ProcessStepKind p ? p.resumeLayout(task).orElse(null) : null;
    if (layout == null) {
      return ResumeFrom.NONE;
    }
    ResumePoints.Point local =
        ResumePoints.newestPoint(root, task.runId(), task.stepId(), task.attempt(), layout)
            .orElse(null);
    ResumeStates.Stored stored =
        ResumeStates.newestBefore(store, task.runId(), task.stepId(), task.attempt()).orElse(null);
    if (stored != null && (local == null || stored.step() > local.step())) {
      ArtifactStore.Lease lease = store.use(stored.ref());
      LOG.info(
          task.runId()
              + "/"
              + task.stepId()
              + " attempt "
              + task.attempt()
              + " resumes from the stored state "
              + stored.name());
      return new ResumeFrom(lease.dir(), stored.step(), lease);
    }
    return local == null ? ResumeFrom.NONE : new ResumeFrom(local.dir(), local.step(), null);
  }

  private ProcessStepKind.Launch prepare(
      StepTask task, ProcessStepKind kind, AttemptWorkDir workDir) throws IOException {
    try {
      return kind.launch(task, workDir);
    } catch (IllegalArgumentException e) {
      throw failures.invalidStep(task, e);
    } catch (StepKindUnavailableException e) {
      throw failures.runtimeMissing(task, e);
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
      // The trainer starts the tokenizer server from the worker's own code: kept visible if in the
      // root.
      dev.trainyard.worker.tokenize.TokenizerServerCommand.classpath().stream()
          .map(p -> p.endsWith("*") ? p.getParent() : p)
          .filter(p -> p.startsWith(root.toAbsolutePath()) && !p.equals(root.toAbsolutePath()))
          .forEach(readOnly::add);
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
    ResumeUploads uploads =
        kind.resumeLayout(task)
            .map(
                layout ->
                    new ResumeUploads(
                        store, task, workDir.dir().resolve(ResumePoints.CHECKPOINTS), layout))
            .orElse(null);
    StepProcess process =
        StepProcess.start(launch.command(), workDir.dir(), env, log, terminationGrace, sandbox());
    running.add(process);
    int exitCode = -1;
    try {
      if (shuttingDown) {
        process.cancel(); // shutdown() may have swept the running set just before we joined it
      }
      exitCode = superviseUntilExit(task, process, workDir, context, startedNanos, uploads);
    } finally {
      running.remove(process);
      if (uploads != null && exitCode != 0) {
        // A failed attempt leaves its newest state for the retry; a succeeded one needs none. The
        // newest may have been written after the last beat looked: one more look once idle.
        uploads.awaitInFlight(RESUME_UPLOAD_WAIT);
        uploads.poll();
        uploads.awaitInFlight(RESUME_UPLOAD_WAIT);
      }
    }
    if (process.wasCancelled() && shuttingDown) {
      throw failures.stoppedForShutdown(task);
    }
    if (exitCode != 0) {
      FailureType type = kind.failureType(exitCode);
      String message = StepFailures.exitMessage(task, exitCode, log);
      if (type.keepsOutput()) {
        // A failed gate's report is the evidence: store it, so its scores are not only a log line.
        throw type.failure(
            message, outputs.store(task, kind, workDir, lease, context, startedNanos));
      }
      throw type.failure(message);
    }
    return outputs.store(task, kind, workDir, lease, context, startedNanos);
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
    workDir.useSandbox(this::sandbox);
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
    Duration limit = timeLimit(task);
    try {
      heartbeats.untilDone(
          done,
          () -> {
            Duration elapsed = Duration.ofNanos(System.nanoTime() - startedNanos);
            if (shuttingDown) {
              throw failures.stoppedForShutdown(task);
            }
            if (limit != null && elapsed.compareTo(limit) >= 0) {
              throw failures.timedOut(task, limit);
            }
            context.heartbeat(StepProgress.of("running", elapsed, workDir.metrics()));
          });
    } catch (ExecutionException e) {
      throw failures.inProcess(task, e.getCause());
    } catch (RuntimeException | InterruptedException e) {
      worker.interrupt(); // the step must not outlive the attempt
      throw e;
    }
    return outputs.store(task, kind, workDir, lease, context, startedNanos);
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
      long startedNanos,
      ResumeUploads uploads)
      throws InterruptedException {
    Duration limit = timeLimit(task);
    try {
      return heartbeats.until(
          process::waitFor,
          () -> {
            if (uploads != null) {
              uploads.poll();
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - startedNanos);
            if (limit != null && elapsed.compareTo(limit) >= 0) {
              process.cancel();
              throw failures.killedForTimeout(task, limit, workDir.log());
            }
            context.heartbeat(StepProgress.of("running", elapsed, workDir.metrics()));
          });
    } catch (RuntimeException | InterruptedException e) {
      // ActivityCompletionException (cancelled, timed out, workflow gone), interrupt on shutdown,
      // or our own timeout: the step must not outlive the attempt.
      process.cancel();
      throw e;
    }
  }

  private static Duration timeLimit(StepTask task) {
    return task.timeoutSeconds() > 0 ? Duration.ofSeconds(task.timeoutSeconds()) : null;
  }

  private GpuLease acquireGpus(StepTask task, ActivityExecutionContext context, long startedNanos)
      throws InterruptedException {
    try {
      // The allocator runs its own wait; this beat is the same check-then-heartbeat as the others.
      return gpus.acquire(
          task.gpus(),
          heartbeats.interval(),
          () -> {
            refuseIfShuttingDown(task);
            context.heartbeat(
                StepProgress.of(
                    "waiting-for-gpus", Duration.ofNanos(System.nanoTime() - startedNanos)));
          },
          new GpuHolder(task.runId(), task.stepId(), task.attempt()));
    } catch (IllegalArgumentException e) {
      throw failures.insufficientGpus(task, e);
    }
  }

  private void refuseIfShuttingDown(StepTask task) {
    if (shuttingDown) {
      throw failures.notStarted(task);
    }
  }
}
