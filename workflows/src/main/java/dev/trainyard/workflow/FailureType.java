package dev.trainyard.workflow;

import io.temporal.failure.ApplicationFailure;
import java.util.Arrays;
import java.util.Optional;

/**
 * Why an attempt failed, as workers and backend activities raise it ({@code ApplicationFailure}'s
 * type is {@link #wireName()}). The workflow owns attempts and retries only {@link #retryable()}
 * ones: a retry cannot fix a bad config or a missing runtime, but may outlive a lost worker or a
 * full disk.
 */
public enum FailureType {
  KIND_NOT_SUPPORTED("KindNotSupported", false),
  /** The step's body or config is wrong. */
  INVALID_STEP("InvalidStep", false),
  INPUT_MISSING("InputMissing", false),
  INVALID_INPUT("InvalidInput", false),
  INVALID_OUTPUT("InvalidOutput", false),
  INSUFFICIENT_GPUS("InsufficientGpus", false),
  /**
   * The worker lacks what the kind needs (e.g. its Python runtime); an operator must fix the host.
   */
  RUNTIME_MISSING("RuntimeMissing", false),
  /** An evaluate gate missed its bound; the scores do not change on a rerun. The report is kept. */
  GATE_FAILED("GateFailed", false, true),
  /** A backend step refused to act (e.g. promote of a model whose gate failed). */
  REFUSED("Refused", false),
  /**
   * The worker found no valid backend signature on the task (H2): a forged or altered step never
   * runs.
   */
  UNSIGNED_STEP("UnsignedStep", false),
  /** The step process exited non-zero. */
  STEP_FAILED("StepFailed", true),
  STEP_TIMED_OUT("StepTimedOut", true),
  WORKER_IO_ERROR("WorkerIoError", true),
  WORKER_SHUTDOWN("WorkerShutdown", true),
  ARTIFACT_STORE_FAILED("ArtifactStoreFailed", true);

  private final String wireName;
  private final boolean retryable;
  private final boolean keepsOutput;

  FailureType(String wireName, boolean retryable) {
    this(wireName, retryable, false);
  }

  FailureType(String wireName, boolean retryable, boolean keepsOutput) {
    this.wireName = wireName;
    this.retryable = retryable;
    this.keepsOutput = keepsOutput;
  }

  /**
   * Whether the attempt ran to the end and its output is evidence worth keeping (a failed gate's
   * scores): the output is stored, sent as the failure's details and recorded as an artifact marked
   * failed.
   */
  public boolean keepsOutput() {
    return keepsOutput;
  }

  public String wireName() {
    return wireName;
  }

  public boolean retryable() {
    return retryable;
  }

  /**
   * The failure to throw from an activity; Temporal's own retry flag mirrors {@link #retryable()}.
   */
  public ApplicationFailure failure(String message) {
    return retryable
        ? ApplicationFailure.newFailure(message, wireName)
        : ApplicationFailure.newNonRetryableFailure(message, wireName);
  }

  /** A failure that carries what the attempt stored ({@link #keepsOutput()}). */
  public ApplicationFailure failure(String message, StepResult stored) {
    return retryable
        ? ApplicationFailure.newFailure(message, wireName, stored)
        : ApplicationFailure.newNonRetryableFailure(message, wireName, stored);
  }

  public ApplicationFailure failure(String message, Throwable cause) {
    return retryable
        ? ApplicationFailure.newFailureWithCause(message, wireName, cause)
        : ApplicationFailure.newNonRetryableFailureWithCause(message, wireName, cause);
  }

  public static Optional<FailureType> fromWire(String name) {
    return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
  }

  /** Unknown types (a timeout, an SDK error) are retried: they are not the step's own verdict. */
  public static boolean retryable(String wireName) {
    return fromWire(wireName).map(FailureType::retryable).orElse(true);
  }
}
