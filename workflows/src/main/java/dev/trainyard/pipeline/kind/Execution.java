package dev.trainyard.pipeline.kind;

/** Where a kind's steps execute; every kind has exactly one executor in its category. */
public enum Execution {
  /** The workflow itself waits for a person's approve signal; no activity runs. */
  APPROVAL,
  /** An activity of the backend, which holds the catalog (e.g. moving an alias). */
  BACKEND,
  /** A worker runs it in its own JVM (the tensor engine). */
  WORKER_JAVA,
  /** A worker runs the user's shell command as a step process. */
  WORKER_PROCESS,
  /**
   * A worker runs the reference trainer ({@code python -m trainyard_trainer}) as a step process.
   */
  WORKER_TRAINER;

  /** Runs on a GPU worker's pool task queue. */
  public boolean onWorker() {
    return this == WORKER_JAVA || this == WORKER_PROCESS || this == WORKER_TRAINER;
  }
}
