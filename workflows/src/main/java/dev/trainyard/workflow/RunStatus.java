package dev.trainyard.workflow;

/**
 * Life cycle of a run. INTERRUPTED: its execution was lost (local mode died); it can be retried.
 */
public enum RunStatus {
  PENDING,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED,
  INTERRUPTED;

  public boolean terminal() {
    return this != PENDING && this != RUNNING;
  }

  /** Ended without succeeding: a retry runs it again, reusing its completed steps' outputs. */
  public boolean retryable() {
    return this == FAILED || this == CANCELLED || this == INTERRUPTED;
  }
}
