package dev.trainyard.worker.steps;

import dev.trainyard.pipeline.kind.Output;
import dev.trainyard.worker.gpu.GpuLease;
import dev.trainyard.worker.store.ArtifactStore;
import dev.trainyard.worker.store.InvalidArtifactException;
import dev.trainyard.workflow.FailureType;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import io.temporal.activity.ActivityExecutionContext;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Seals what a finished attempt wrote into the artifact store and builds its result; a store
 * problem becomes the failure type that says whose fix it is.
 */
final class OutputStorer {
  private final ArtifactStore store;
  private final HeartbeatLoop heartbeats;
  private final String workerId;

  OutputStorer(ArtifactStore store, HeartbeatLoop heartbeats, String workerId) {
    this.store = store;
    this.heartbeats = heartbeats;
    this.workerId = workerId;
  }

  StepResult store(
      StepTask task,
      StepKindRunner kind,
      AttemptWorkDir workDir,
      GpuLease lease,
      ActivityExecutionContext context,
      long startedNanos)
      throws IOException, InterruptedException {
    Output declared = kind.output(task);
    if (kind.kind().runsUserCode()) {
      refuseIncompleteLayout(task, declared, workDir.output());
    }
    ProducedArtifact output =
        storeWhileHeartbeating(
            task, workDir.output(), declared.type().wireName(), context, startedNanos);
    return new StepResult(
        Map.of(declared.name(), output),
        MetricsFile.lastValues(workDir.metrics()),
        workerId,
        lease.gpus(),
        LogTail.read(workDir.log(), LogTail.DEFAULT_BYTES));
  }

  /**
   * User code (a team's own trainer) that declares a checkpoint or adapter must have written one
   * that loads: refused with every problem named, and nothing stored. Our own kinds write the
   * layout themselves and are tested for it.
   */
  private static void refuseIncompleteLayout(StepTask task, Output declared, Path outputDir)
      throws IOException {
    List<String> problems = OutputLayout.problems(declared.type(), outputDir);
    if (!problems.isEmpty()) {
      throw FailureType.INVALID_OUTPUT.failure(
          "step '"
              + task.stepId()
              + "' declares its output a "
              + declared.type().wireName()
              + " but did not write one in the Hugging Face layout: "
              + String.join("; ", problems)
              + "; nothing was stored");
    }
  }

  /**
   * Hashing a large checkpoint takes minutes; the activity keeps heartbeating meanwhile so Temporal
   * does not declare it lost. A cancellation arriving now abandons the wait; the put itself
   * finishes or fails atomically on its own thread.
   */
  private ProducedArtifact storeWhileHeartbeating(
      StepTask task,
      Path outputDir,
      String type,
      ActivityExecutionContext context,
      long startedNanos)
      throws InterruptedException {
    CompletableFuture<ProducedArtifact> put = new CompletableFuture<>();
    Thread.ofVirtual()
        .name("store-" + task.stepId())
        .start(
            () -> {
              try {
                put.complete(store.put(outputDir, type));
              } catch (Throwable e) {
                put.completeExceptionally(e);
              }
            });
    try {
      return heartbeats.untilDone(
          put,
          () ->
              context.heartbeat(
                  StepProgress.of(
                      "storing-output", Duration.ofNanos(System.nanoTime() - startedNanos))));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof InvalidArtifactException invalid) {
        throw FailureType.INVALID_OUTPUT.failure(
            "step '"
                + task.stepId()
                + "' wrote an output that cannot be stored: "
                + invalid.getMessage());
      }
      if (e.getCause() instanceof IOException io) {
        // Retryable: a full or read-only store is an operator's fix away from working.
        throw FailureType.ARTIFACT_STORE_FAILED.failure(
            "step '"
                + task.stepId()
                + "' finished but the artifact store "
                + "could not store its output: "
                + storeProblem(io)
                + "; nothing was registered (the files stay in "
                + "this attempt's output dir); a retry runs the step again once the store has room or is writable",
            io);
      }
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** "No space left on device (/path)" rather than a bare exception class. */
  private static String storeProblem(IOException io) {
    if (io instanceof FileSystemException fs && fs.getReason() != null) {
      return fs.getReason() + " (" + fs.getFile() + ")";
    }
    return io.getMessage() != null ? io.getMessage() : io.toString();
  }
}
