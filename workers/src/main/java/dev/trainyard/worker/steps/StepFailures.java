package dev.trainyard.worker.steps;

import dev.trainyard.workflow.FailureType;
import dev.trainyard.workflow.StepTask;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Maps what went wrong in a step attempt to the failure type the workflow retries (or not) on, with
 * the message an operator reads. One place, so the same problem always reads the same way.
 */
final class StepFailures {
  static final int FAILURE_LOG_LINES = 20;

  private final String workerId;

  StepFailures(String workerId) {
    this.workerId = workerId;
  }

  ApplicationFailure kindNotSupported(StepTask task, Object supported) {
    return FailureType.KIND_NOT_SUPPORTED.failure(
        "step kind '"
            + task.kind()
            + "' is not supported by this worker (it runs "
            + supported
            + ")");
  }

  /** Disk trouble on this host; another attempt (maybe elsewhere) may succeed. */
  ApplicationFailure workerIo(StepTask task, IOException e) {
    return FailureType.WORKER_IO_ERROR.failure(
        "step '" + task.stepId() + "' could not be run on " + workerId + ": " + e, e);
  }

  ApplicationFailure interrupted() {
    return FailureType.WORKER_SHUTDOWN.failure("worker " + workerId + " is shutting down");
  }

  ApplicationFailure invalidStep(StepTask task, IllegalArgumentException e) {
    return FailureType.INVALID_STEP.failure("step '" + task.stepId() + "': " + e.getMessage());
  }

  ApplicationFailure runtimeMissing(StepTask task, StepKindUnavailableException e) {
    return FailureType.RUNTIME_MISSING.failure(
        "step '" + task.stepId() + "' cannot run on " + workerId + ": " + e.getMessage());
  }

  ApplicationFailure insufficientGpus(StepTask task, IllegalArgumentException e) {
    return FailureType.INSUFFICIENT_GPUS.failure("step '" + task.stepId() + "': " + e.getMessage());
  }

  ApplicationFailure notStarted(StepTask task) {
    return FailureType.WORKER_SHUTDOWN.failure(
        "step '"
            + task.stepId()
            + "' was not started because worker "
            + workerId
            + " is shutting down");
  }

  ApplicationFailure stoppedForShutdown(StepTask task) {
    return FailureType.WORKER_SHUTDOWN.failure(
        "step '"
            + task.stepId()
            + "' was stopped because worker "
            + workerId
            + " is shutting down");
  }

  ApplicationFailure timedOut(StepTask task, Duration limit) {
    return FailureType.STEP_TIMED_OUT.failure(
        "step '" + task.stepId() + "' exceeded its timeout of " + limit.toSeconds() + " s");
  }

  ApplicationFailure killedForTimeout(StepTask task, Duration limit, Path log) {
    return FailureType.STEP_TIMED_OUT.failure(
        "step '"
            + task.stepId()
            + "' exceeded its timeout of "
            + limit.toSeconds()
            + " s and was killed: "
            + LogTail.lastLines(log, FAILURE_LOG_LINES));
  }

  /** What a non-zero exit means is the kind's call; the log's last lines say why. */
  static String exitMessage(StepTask task, int exitCode, Path log) {
    return "step '"
        + task.stepId()
        + "' exited with code "
        + exitCode
        + ": "
        + LogTail.lastLines(log, FAILURE_LOG_LINES);
  }

  /**
   * An in-process kind's exception: bad input is the step's fault, disk trouble the host's,
   * anything else a failed step.
   */
  ApplicationFailure inProcess(StepTask task, Throwable cause) throws IOException {
    if (cause instanceof dev.trainyard.worker.tokenize.InvalidRecordException record) {
      return FailureType.INVALID_INPUT.failure(
          "step '" + task.stepId() + "': " + record.getMessage());
    }
    if (cause instanceof dev.trainyard.worker.tensor.InvalidCheckpointException input) {
      return FailureType.INVALID_INPUT.failure(
          "step '" + task.stepId() + "': " + input.getMessage());
    }
    if (cause instanceof StepKindUnavailableException unavailable) {
      return runtimeMissing(task, unavailable);
    }
    if (cause instanceof IllegalArgumentException invalid) {
      return invalidStep(task, invalid);
    }
    if (cause instanceof IOException io) {
      throw io;
    }
    return FailureType.STEP_FAILED.failure("step '" + task.stepId() + "' failed: " + cause);
  }
}
