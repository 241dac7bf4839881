package dev.trainyard.workflow;

import dev.trainyard.pipeline.kind.Execution;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.plan.InputBinding;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.workflow.trust.TrustActivities;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Each step runs in its own workflow thread that waits for its needs, then runs its attempts. The
 * workflow, not Temporal's retry policy, owns attempts so that every attempt is recorded in the
 * ledger with its own number. Any change to the order of commands here needs {@code
 * Workflow.getVersion}; the replay test over committed histories catches forgotten ones.
 */
public class PipelineWorkflowImpl implements PipelineWorkflow {
  /**
   * Error types a retry cannot fix, as decided before {@link FailureType} (histories without
   * "failure-types"). "UnsignedStep" came with the backend's grants, recorded before failure types
   * existed.
   */
  private static final Set<String> NON_RETRYABLE_V0 =
      Set.of(
          "KindNotSupported",
          "InvalidStep",
          "InputMissing",
          "InsufficientGpus",
          "InvalidInput",
          "InvalidOutput",
          "UnsignedStep");

  /** Version 1: the backend admits the run, signs each step and checks approval signatures (H2). */
  private static final String BACKEND_GRANTS = "backend-grants";

  private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(30);

  private final LedgerActivities ledger =
      Workflow.newLocalActivityStub(
          LedgerActivities.class,
          LocalActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofSeconds(30))
              // The catalog may be briefly away (PostgreSQL restart): keep retrying, never drop a
              // row.
              .setScheduleToCloseTimeout(Duration.ofHours(1))
              .setRetryOptions(
                  RetryOptions.newBuilder()
                      .setInitialInterval(Duration.ofMillis(200))
                      .setBackoffCoefficient(2)
                      .setMaximumInterval(Duration.ofSeconds(10))
                      .build())
              .build());

  private final TrustActivities trust =
      Workflow.newLocalActivityStub(
          TrustActivities.class,
          LocalActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofSeconds(30))
              .setScheduleToCloseTimeout(Duration.ofHours(1))
              .setRetryOptions(
                  RetryOptions.newBuilder()
                      .setInitialInterval(Duration.ofMillis(200))
                      .setBackoffCoefficient(2)
                      .setMaximumInterval(Duration.ofSeconds(10))
                      .build())
              .build());

  private final Map<String, StepStatus> statuses = new LinkedHashMap<>();
  private final Map<String, Integer> attempts = new HashMap<>();
  private final Map<String, Map<String, ArtifactRef>> outputs = new HashMap<>();
  private final Map<String, String> approvals = new HashMap<>();
  private final Map<String, List<Approval>> approvalSignals = new HashMap<>();
  private boolean granted;
  private final List<CancellationScope> runningScopes = new ArrayList<>();
  private RunStatus runStatus = RunStatus.PENDING;
  private String cancelReason;
  private String firstError;

  @Override
  public RunOutcome run(RunRequest request) {
    String runId = request.runId();
    granted = Workflow.getVersion(BACKEND_GRANTS, Workflow.DEFAULT_VERSION, 1) >= 1;
    if (granted) {
      String refusal = trust.admitRun(request);
      if (refusal != null) {
        // Nothing is written to the catalog: it may be another run's (the backend audited the
        // refusal).
        runStatus = RunStatus.FAILED;
        return new RunOutcome(RunStatus.FAILED, "refused by the backend: " + refusal, Map.of());
      }
    }
    for (PlannedStep step : request.plan().steps()) {
      statuses.put(step.id(), StepStatus.PENDING);
      attempts.put(step.id(), request.previousAttempts().getOrDefault(step.id(), 0));
    }
    runStatus = RunStatus.RUNNING;
    ledger.runStarted(runId);
    for (var reused : request.reused().entrySet()) {
      if (statuses.containsKey(reused.getKey())) {
        outputs.put(reused.getKey(), reused.getValue());
        statuses.put(reused.getKey(), StepStatus.REUSED);
        ledger.stepReused(runId, reused.getKey());
      }
    }

    List<Promise<Void>> threads = new ArrayList<>();
    for (PlannedStep step : request.plan().steps()) {
      if (statuses.get(step.id()) == StepStatus.PENDING) {
        threads.add(Async.procedure(() -> runStep(request, step)));
      }
    }
    Promise.allOf(threads).get();

    if (cancelReason != null) {
      runStatus = RunStatus.CANCELLED;
    } else if (statuses.values().stream().allMatch(StepStatus::done)) {
      runStatus = RunStatus.SUCCEEDED;
    } else {
      runStatus = RunStatus.FAILED;
    }
    String error = runStatus == RunStatus.CANCELLED ? "cancelled: " + cancelReason : firstError;
    ledger.runFinished(runId, runStatus, runStatus == RunStatus.SUCCEEDED ? null : error);
    return new RunOutcome(runStatus, runStatus == RunStatus.SUCCEEDED ? null : error, outputs);
  }

  private void runStep(RunRequest request, PlannedStep step) {
    String runId = request.runId();
    Workflow.await(() -> cancelReason != null || needsSettled(step));
    if (cancelReason != null || !step.needs().stream().allMatch(n -> statuses.get(n).done())) {
      StepStatus status = cancelReason != null ? StepStatus.CANCELLED : StepStatus.SKIPPED;
      statuses.put(step.id(), status);
      ledger.stepsNotRun(runId, List.of(step.id()), status);
      return;
    }
    StepKind kind = StepKinds.of(step.kind());
    if (kind.execution() == Execution.APPROVAL) {
      awaitApproval(runId, step);
      return;
    }

    Map<String, ArtifactRef> inputs = new LinkedHashMap<>();
    List<InputUse> uses = new ArrayList<>();
    for (InputBinding binding : step.inputs()) {
      ArtifactRef ref =
          binding.fromStepOutput()
              ? outputs.getOrDefault(binding.fromStep(), Map.of()).get(binding.output())
              : request.artifacts().get(binding.artifactId());
      if (ref == null) {
        int attempt = nextAttempt(step.id());
        ledger.attemptStarted(runId, step.id(), attempt, StepStatus.RUNNING);
        fail(runId, step, attempt, "input '" + binding.name() + "' is missing");
        return;
      }
      inputs.put(binding.name(), ref);
      uses.add(new InputUse(binding.name(), binding.role(), ref.id()));
    }

    Function<StepTask, StepResult> executor = executor(kind, step);

    // Version 1 added the step cache; histories recorded before it replay without it.
    boolean cacheable = Workflow.getVersion("step-cache", Workflow.DEFAULT_VERSION, 1) >= 1;
    String cacheKey = cacheable ? StepCacheKey.of(step, inputs) : null;
    int maxAttempts = Math.max(1, step.retry().maxAttempts());
    for (int tries = 1; ; tries++) {
      int attempt = nextAttempt(step.id());
      statuses.put(step.id(), StepStatus.RUNNING);
      if (cacheKey == null) {
        ledger.attemptStarted(runId, step.id(), attempt, StepStatus.RUNNING);
      } else {
        StepCacheHit hit = ledger.beginAttempt(runId, step.id(), attempt, cacheKey, uses);
        if (hit != null) {
          outputs.put(step.id(), hit.outputs());
          statuses.put(step.id(), StepStatus.SUCCEEDED);
          return;
        }
      }
      StepTask task =
          new StepTask(
              runId,
              step.id(),
              step.kind(),
              attempt,
              step.body(),
              inputs,
              step.gpus(),
              step.timeoutSeconds());
      if (granted) {
        try {
          task = task.withGrant(trust.grantStep(task));
        } catch (ActivityFailure refused) {
          fail(runId, step, attempt, describe(refused));
          return;
        }
      }
      StepTask signedTask = task;
      StepResult[] result = new StepResult[1];
      CancellationScope scope =
          Workflow.newCancellationScope(() -> result[0] = executor.apply(signedTask));
      runningScopes.add(scope);
      try {
        scope.run();
        outputs.put(step.id(), refs(result[0]));
        ledger.attemptSucceeded(runId, step.id(), attempt, result[0], uses);
        statuses.put(step.id(), StepStatus.SUCCEEDED);
        return;
      } catch (ActivityFailure | CanceledFailure e) {
        if (cancelReason != null
            || e instanceof CanceledFailure
            || e.getCause() instanceof CanceledFailure) {
          statuses.put(step.id(), StepStatus.CANCELLED);
          ledger.attemptEnded(
              runId, step.id(), attempt, StepStatus.CANCELLED, "cancelled: " + cancelReason);
          return;
        }
        String message = describe(e);
        boolean retryable = retryable(e);
        if (!retryable || tries >= maxAttempts) {
          StepResult kept = keptOutput(e);
          if (kept != null) {
            statuses.put(step.id(), StepStatus.FAILED);
            firstError =
                firstError != null ? firstError : "step '" + step.id() + "' failed: " + message;
            ledger.attemptFailedWithOutputs(runId, step.id(), attempt, message, kept, uses);
          } else {
            fail(runId, step, attempt, message);
          }
          return;
        }
        ledger.attemptEnded(runId, step.id(), attempt, StepStatus.FAILED, message);
        Workflow.sleep(Duration.ofMillis((long) (step.retry().delayBefore(tries + 1) * 1000)));
        if (cancelReason != null) {
          statuses.put(step.id(), StepStatus.CANCELLED);
          ledger.stepsNotRun(runId, List.of(step.id()), StepStatus.CANCELLED);
          return;
        }
      } finally {
        runningScopes.remove(scope);
      }
    }
  }

  /**
   * The activity that runs the kind: a GPU worker of the step's pool, or the backend (on the
   * workflow task queue it hosts) for kinds that act on the catalog.
   */
  private static Function<StepTask, StepResult> executor(StepKind kind, PlannedStep step) {
    ActivityOptions.Builder options =
        ActivityOptions.newBuilder()
            .setStartToCloseTimeout(Duration.ofSeconds(step.timeoutSeconds() + 60))
            .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
            .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build());
    if (kind.execution() == Execution.BACKEND) {
      BackendStepActivities backend =
          Workflow.newActivityStub(
              BackendStepActivities.class, options.setTaskQueue(TaskQueues.WORKFLOWS).build());
      return backend::execute;
    }
    StepActivities activities =
        Workflow.newActivityStub(
            StepActivities.class,
            options
                .setTaskQueue(TaskQueues.pool(step.pool()))
                .setHeartbeatTimeout(HEARTBEAT_TIMEOUT)
                .build());
    return activities::execute;
  }

  /**
   * Whether another attempt may succeed. Version 1 asks {@link FailureType}, so a missing runtime
   * or a failed gate is no longer retried; histories recorded before keep their old decisions.
   */
  private static boolean retryable(TemporalFailure e) {
    String type = e.getCause() instanceof ApplicationFailure app ? app.getType() : null;
    if (Workflow.getVersion("failure-types", Workflow.DEFAULT_VERSION, 1) >= 1) {
      return type == null || FailureType.retryable(type);
    }
    return type == null || !NON_RETRYABLE_V0.contains(type);
  }

  /**
   * What a failed attempt stored before failing, for failure types that keep their output (a failed
   * gate's report). Version 1 records it; histories from before end the attempt without it.
   */
  private static StepResult keptOutput(TemporalFailure e) {
    if (!(e.getCause() instanceof ApplicationFailure app)
        || !FailureType.fromWire(app.getType()).map(FailureType::keepsOutput).orElse(false)
        || app.getDetails() == null
        || app.getDetails().getSize() == 0) {
      return null;
    }
    if (Workflow.getVersion("failed-outputs", Workflow.DEFAULT_VERSION, 1) < 1) {
      return null;
    }
    return app.getDetails().get(StepResult.class);
  }

  private void awaitApproval(String runId, PlannedStep step) {
    int attempt = nextAttempt(step.id());
    statuses.put(step.id(), StepStatus.WAITING_APPROVAL);
    ledger.attemptStarted(runId, step.id(), attempt, StepStatus.WAITING_APPROVAL);
    String approvedBy =
        granted ? awaitSignedApproval(runId, step, attempt) : awaitUnsignedApproval(step);
    if (approvedBy != null) {
      ledger.attemptApproved(runId, step.id(), attempt, approvedBy);
      outputs.put(step.id(), Map.of());
      statuses.put(step.id(), StepStatus.SUCCEEDED);
    } else {
      statuses.put(step.id(), StepStatus.CANCELLED);
      ledger.attemptEnded(
          runId, step.id(), attempt, StepStatus.CANCELLED, "cancelled: " + cancelReason);
    }
  }

  private String awaitUnsignedApproval(PlannedStep step) {
    Workflow.await(() -> cancelReason != null || approvals.containsKey(step.id()));
    return approvals.get(step.id());
  }

  /**
   * The approver of the first approval signal the backend signed; forged ones are dropped (and
   * audited).
   */
  private String awaitSignedApproval(String runId, PlannedStep step, int attempt) {
    List<Approval> signals = approvalSignals.computeIfAbsent(step.id(), id -> new ArrayList<>());
    while (true) {
      Workflow.await(() -> cancelReason != null || !signals.isEmpty());
      if (cancelReason != null) {
        return null;
      }
      Approval approval = signals.remove(0);
      if (trust.approvalSigned(runId, attempt, approval)) {
        return approval.approvedBy();
      }
    }
  }

  private void fail(String runId, PlannedStep step, int attempt, String message) {
    statuses.put(step.id(), StepStatus.FAILED);
    if (firstError == null) {
      firstError = "step '" + step.id() + "' failed: " + message;
    }
    ledger.attemptEnded(runId, step.id(), attempt, StepStatus.FAILED, message);
  }

  private boolean needsSettled(PlannedStep step) {
    for (String need : step.needs()) {
      StepStatus status = statuses.get(need);
      if (!status.terminal()) {
        return false;
      }
    }
    return true;
  }

  private int nextAttempt(String stepId) {
    int attempt = attempts.merge(stepId, 1, Integer::sum);
    return attempt;
  }

  private static Map<String, ArtifactRef> refs(StepResult result) {
    Map<String, ArtifactRef> refs = new LinkedHashMap<>();
    result
        .outputs()
        .forEach(
            (name, artifact) -> refs.put(name, new ArtifactRef(artifact.id(), artifact.uri())));
    return refs;
  }

  /** The innermost useful message: the step's own failure, or why Temporal gave up on it. */
  private static String describe(TemporalFailure e) {
    Throwable cause = e.getCause();
    if (cause instanceof ApplicationFailure app) {
      return app.getOriginalMessage();
    }
    if (cause instanceof TimeoutFailure timeout) {
      return switch (timeout.getTimeoutType()) {
        case TIMEOUT_TYPE_HEARTBEAT -> "the worker stopped heartbeating (lost or killed)";
        case TIMEOUT_TYPE_START_TO_CLOSE -> "the step ran past its timeout";
        default -> "timed out (" + timeout.getTimeoutType() + ")";
      };
    }
    return cause != null ? cause.getMessage() : e.getMessage();
  }

  @Override
  public void cancel(String reason) {
    if (cancelReason == null && !runStatus.terminal()) {
      cancelReason = reason == null || reason.isBlank() ? "by request" : reason;
      new ArrayList<>(runningScopes).forEach(CancellationScope::cancel);
    }
  }

  @Override
  public void approve(Approval approval) {
    if (statuses.get(approval.stepId()) == StepStatus.WAITING_APPROVAL) {
      if (granted) {
        approvalSignals.computeIfAbsent(approval.stepId(), id -> new ArrayList<>()).add(approval);
      } else {
        approvals.putIfAbsent(approval.stepId(), approval.approvedBy());
      }
    }
  }

  @Override
  public RunProgress progress() {
    Map<String, RunProgress.StepProgress> steps = new LinkedHashMap<>();
    statuses.forEach(
        (id, status) ->
            steps.put(id, new RunProgress.StepProgress(status, attempts.getOrDefault(id, 0))));
    return new RunProgress(runStatus, steps);
  }
}
