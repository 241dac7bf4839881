package dev.trainyard.workflow;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * Runs steps on a worker. Registered by every worker on the task queue of each pool it serves
 * ({@link TaskQueues#pool(String)}). The workflow gives each call one attempt; it heartbeats while
 * the step process runs, and a cancellation delivered through the heartbeat kills the process
 * group.
 */
@ActivityInterface
public interface StepActivities {
  @ActivityMethod(name = "ExecuteStep")
  StepResult execute(StepTask task);
}
