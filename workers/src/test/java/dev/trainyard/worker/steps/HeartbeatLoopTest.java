package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.temporal.client.ActivityCanceledException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The one wait-while-heartbeating loop every step attempt uses. */
class HeartbeatLoopTest {
  private final HeartbeatLoop loop = new HeartbeatLoop(Duration.ofMillis(10));

  @Test
  void itBeatsOnceForEveryEmptyWaitAndStopsWhenTheConditionHolds() throws Exception {
    AtomicInteger waits = new AtomicInteger();
    AtomicInteger beats = new AtomicInteger();

    String result =
        loop.until(
            upTo -> waits.incrementAndGet() == 4 ? Optional.of("exited") : Optional.empty(),
            beats::incrementAndGet);

    assertThat(result).isEqualTo("exited");
    assertThat(beats).hasValue(3);
    assertThat(waits).hasValue(4);
  }

  @Test
  void itWaitsTheIntervalBeforeEachBeatAndStopsWhenTheWorkCompletes() throws Exception {
    AtomicInteger beats = new AtomicInteger();
    CompletableFuture<String> work = new CompletableFuture<>();
    long started = System.nanoTime();

    String result =
        loop.untilDone(
            work,
            () -> {
              if (beats.incrementAndGet() == 5) {
                work.complete("stored");
              }
            });

    assertThat(result).isEqualTo("stored");
    assertThat(beats).hasValue(5);
    // five empty waits of 10 ms each before the fifth beat: never a busy loop
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .isGreaterThanOrEqualTo(Duration.ofMillis(50));
  }

  @Test
  void aCancellationDeliveredByABeatEndsTheWait() {
    AtomicInteger beats = new AtomicInteger();
    CompletableFuture<String> neverDone = new CompletableFuture<>();

    assertThatThrownBy(
            () ->
                loop.untilDone(
                    neverDone,
                    () -> {
                      if (beats.incrementAndGet() == 3) {
                        throw new ActivityCanceledException();
                      }
                    }))
        .isInstanceOf(ActivityCanceledException.class);
    assertThat(beats).hasValue(3);
  }

  @Test
  void failedWorkIsRethrownWithItsCause() {
    CompletableFuture<String> failed =
        CompletableFuture.failedFuture(new IllegalStateException("disk"));

    assertThatThrownBy(() -> loop.untilDone(failed, () -> {}))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(IllegalStateException.class)
        .hasRootCauseMessage("disk");
  }

  @Test
  void anInterruptEndsTheWait() throws Exception {
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    Thread waiting =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    loop.untilDone(new CompletableFuture<>(), () -> {});
                  } catch (Throwable e) {
                    ended.complete(e);
                  }
                });
    Thread.sleep(50);
    waiting.interrupt();

    assertThat(ended.get()).isInstanceOf(InterruptedException.class);
  }
}
