package dev.trainyard.workflow;

/** Life cycle of a step within a run. REUSED: completed by an earlier execution, outputs reused. */
public enum StepStatus {
  PENDING,
  RUNNING,
  WAITING_APPROVAL,
  SUCCEEDED,
  FAILED,
  CANCELLED,
  SKIPPED,
  REUSED;

  public boolean terminal() {
    return this != PENDING && this != RUNNING && this != WAITING_APPROVAL;
  }

  public boolean done() {
    return this == SUCCEEDED || this == REUSED;
  }
}
