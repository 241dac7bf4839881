package dev.trainyard.worker.steps;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one wait-while-heartbeating loop of a step attempt: wait up to an interval for something to
 * happen, and between waits run a beat (checks, then a Temporal heartbeat). Heartbeats are how
 * Temporal tells an activity it was cancelled, so a beat that throws ends the wait with that
 * exception; so does an interrupt.
 */
final class HeartbeatLoop {
  /** Waits up to the given time; empty if nothing happened yet. */
  @FunctionalInterface
  interface Wait<T> {
    Optional<T> upTo(Duration interval) throws InterruptedException;
  }

  private final Duration interval;

  HeartbeatLoop(Duration interval) {
    this.interval = interval;
  }

  Duration interval() {
    return interval;
  }

  /** Waits until {@code wait} yields a value, running {@code beat} after each empty wait. */
  <T> T until(Wait<T> wait, Runnable beat) throws InterruptedException {
    while (true) {
      Optional<T> happened = wait.upTo(interval);
      if (happened.isPresent()) {
        return happened.get();
      }
      beat.run();
    }
  }

  /**
   * Waits until {@code work} completes, running {@code beat} meanwhile; returns its value or throws
   * its failure as an {@link ExecutionException}.
   */
  <T> T untilDone(CompletableFuture<T> work, Runnable beat)
      throws InterruptedException, ExecutionException {
    until(upTo -> completed(work, upTo), beat);
    return work.get(); // done by now: returns or throws at once
  }

  private static Optional<Boolean> completed(CompletableFuture<?> work, Duration upTo)
      throws InterruptedException {
    try {
      work.get(upTo.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException stillRunning) {
      return Optional.empty();
    } catch (ExecutionException failed) {
      // completed, exceptionally: untilDone rethrows it
    }
    return Optional.of(true);
  }
}
