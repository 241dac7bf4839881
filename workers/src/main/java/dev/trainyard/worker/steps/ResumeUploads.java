package dev.trainyard.worker.steps;

import dev.trainyard.worker.store.ArtifactStore;
import dev.trainyard.workflow.StepTask;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Uploads a running attempt's newest intermediate checkpoint (the reference trainer's, or a
 * command's own {@code checkpoint-<N>/}) to the store, one at a time and off the heartbeat thread:
 * {@link #poll} (each heartbeat) starts an upload when the trainer has written a newer state than
 * the last one stored and none is in flight. A failed upload is logged and tried again with the
 * next state; it never fails the step.
 */
final class ResumeUploads {
  private static final Logger LOG = Logger.getLogger(ResumeUploads.class.getName());

  private final ArtifactStore store;
  private final StepTask task;
  private final Path checkpoints;
  private final ResumePoints.Layout layout;
  private long stored = -1;
  private Thread inFlight;

  ResumeUploads(ArtifactStore store, StepTask task, Path checkpoints, ResumePoints.Layout layout) {
    this.store = store;
    this.task = task;
    this.checkpoints = checkpoints;
    this.layout = layout;
  }

  /** Starts uploading the newest complete state if it is newer than the last and none is busy. */
  synchronized void poll() {
    if (inFlight != null && inFlight.isAlive()) {
      return;
    }
    Optional<ResumePoints.Point> newest;
    try {
      newest = ResumePoints.newestIn(checkpoints, layout);
    } catch (IOException e) {
      return; // the trainer is rotating its states: the next beat looks again
    }
    if (newest.isEmpty() || newest.get().step() <= stored) {
      return;
    }
    ResumePoints.Point point = newest.get();
    inFlight =
        Thread.ofVirtual()
            .name("resume-upload-" + task.stepId())
            .start(
                () -> {
                  try {
                    ResumeStates.upload(
                        store,
                        task.runId(),
                        task.stepId(),
                        task.attempt(),
                        point.step(),
                        point.dir());
                    synchronized (this) {
                      stored = Math.max(stored, point.step());
                    }
                  } catch (IOException | RuntimeException e) {
                    // Rotated away under us, or the store is unreachable: the next state follows.
                    LOG.log(
                        Level.WARNING,
                        "resume state of "
                            + task.runId()
                            + "/"
                            + task.stepId()
                            + " at step "
                            + point.step()
                            + " not stored: "
                            + e.getMessage());
                  }
                });
  }

  /** The newest training step stored so far; -1 if none. */
  synchronized long stored() {
    return stored;
  }

  /** Waits (at most {@code max}) for the upload in flight, so an attempt that fails leaves it. */
  void awaitInFlight(Duration max) throws InterruptedException {
    Thread t;
    synchronized (this) {
      t = inFlight;
    }
    if (t != null) {
      t.join(max);
    }
  }
}
