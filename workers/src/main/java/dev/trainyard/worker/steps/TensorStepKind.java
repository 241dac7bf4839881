package dev.trainyard.worker.steps;

import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.worker.tensor.TensorSteps;
import dev.trainyard.workflow.StepTask;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CancellationException;

/**
 * {@code merge}, {@code prune} and {@code upcycle}: run by the Java tensor engine inside the
 * worker, streaming tensors from memory-mapped files (no interpreter, bounded memory). Progress
 * lines go to the step's log; a cancelled attempt stops between tensors and leaves no output.
 */
public final class TensorStepKind implements InProcessStepKind {
  private final StepKind kind;

  public TensorStepKind(StepKind kind) {
    this.kind = kind;
  }

  @Override
  public StepKind kind() {
    return kind;
  }

  @Override
  public void run(StepTask task, StepContext step) throws IOException, InterruptedException {
    // The engine checks for cancellation from its own worker threads: ask the attempt's thread.
    Thread attempt = Thread.currentThread();
    try (BufferedWriter log =
        Files.newBufferedWriter(step.log(), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      TensorSteps.Result result =
          TensorSteps.run(
              kind.name(),
              task.body(),
              step.inputs(),
              step.output(),
              step.metrics(),
              attempt::isInterrupted,
              line -> writeLine(log, line));
      writeLine(
          log,
          kind.name() + " (" + result.method() + ") wrote " + result.files().size() + " files");
    } catch (CancellationException e) {
      throw new InterruptedException(kind.name() + " was cancelled");
    }
  }

  private static void writeLine(BufferedWriter log, String line) {
    synchronized (log) {
      try {
        log.write(line);
        log.newLine();
        log.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
