package dev.trainyard.workflow;

/** Task-queue names shared by the backend (workflow worker, ledger) and the GPU workers. */
public final class TaskQueues {
  /** Where {@link PipelineWorkflow} runs; hosted by the backend. */
  public static final String WORKFLOWS = "trainyard-workflows";

  private TaskQueues() {}

  /** The queue a worker of the given pool polls for step activities. */
  public static String pool(String pool) {
    return "trainyard-pool-" + pool;
  }
}
