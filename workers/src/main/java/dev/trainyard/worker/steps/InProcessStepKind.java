package dev.trainyard.worker.steps;

import dev.trainyard.workflow.StepTask;
import java.io.IOException;

/**
 * A kind that runs inside the worker JVM on its own thread — the hook for merge and prune ({@code
 * dev.trainyard.worker.tensor}). It writes its files to {@link StepContext#output()} and may append
 * to {@link StepContext#metrics()}; a cancelled attempt interrupts the thread, so long loops should
 * check {@link Thread#interrupted()} between tensors.
 */
public non-sealed interface InProcessStepKind extends StepKindRunner {
  /**
   * @throws IllegalArgumentException the body is wrong (non-retryable {@code InvalidStep})
   */
  void run(StepTask task, StepContext step) throws IOException, InterruptedException;
}
