package dev.trainyard.worker.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GpuAllocatorTest {
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() {
    threads.shutdownNow();
  }

  @Test
  void handsOutDistinctFreeGpus() throws Exception {
    GpuAllocator allocator = new GpuAllocator(List.of(0, 1, 2, 3));

    try (GpuLease a = allocator.acquire(2);
        GpuLease b = allocator.acquire(2)) {
      assertThat(a.gpus()).containsExactly(0, 1);
      assertThat(b.gpus()).containsExactly(2, 3);
      assertThat(a.cudaVisibleDevices()).isEqualTo("0,1");
      assertThat(allocator.free()).isZero();
    }
    assertThat(allocator.free()).isEqualTo(4);
  }

  @Test
  void aStepWaitsUntilEnoughGpusAreReleased() throws Exception {
    GpuAllocator allocator = new GpuAllocator(List.of(0, 1));
    GpuLease held = allocator.acquire(1);

    CompletableFuture<GpuLease> waiting =
        CompletableFuture.supplyAsync(() -> acquire(allocator, 2), threads);

    assertThatThrownBy(() -> waiting.get(300, TimeUnit.MILLISECONDS))
        .isInstanceOf(TimeoutException.class);
    held.close();
    try (GpuLease both = waiting.get(5, TimeUnit.SECONDS)) {
      assertThat(both.gpus()).containsExactly(0, 1);
    }
  }

  @Test
  void aStepNeedingMoreGpusThanTheHostHasFailsAtOnce() {
    GpuAllocator allocator = new GpuAllocator(List.of(0, 1));

    assertThatThrownBy(() -> allocator.acquire(4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs 4 GPU(s) but this host has 2");
    assertThatThrownBy(() -> new GpuAllocator(List.of()).acquire(1))
        .hasMessageContaining("CPU-only");
  }

  @Test
  void cpuStepsNeedNoGpusAndNeverWait() throws Exception {
    GpuAllocator allocator = new GpuAllocator(List.of());
    try (GpuLease lease = allocator.acquire(0)) {
      assertThat(lease.gpus()).isEmpty();
      assertThat(lease.cudaVisibleDevices()).isEmpty();
    }
  }

  @Test
  void waitingIsInterruptible() throws Exception {
    GpuAllocator allocator = new GpuAllocator(List.of(0));
    GpuLease held = allocator.acquire(1);
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Thread waiter =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    allocator.acquire(1);
                    outcome.complete(null);
                  } catch (Throwable t) {
                    outcome.complete(t);
                  }
                });

    Thread.sleep(100);
    waiter.interrupt();

    assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
    held.close();
    assertThat(allocator.free()).isEqualTo(1);
  }

  @Test
  void whileWaitingTheCallerIsCalledBackAndMayGiveUp() throws Exception {
    GpuAllocator allocator = new GpuAllocator(List.of(0));
    GpuLease held = allocator.acquire(1);
    AtomicInteger ticks = new AtomicInteger();

    assertThatThrownBy(
            () ->
                allocator.acquire(
                    1,
                    Duration.ofMillis(20),
                    () -> {
                      if (ticks.incrementAndGet() == 3) {
                        throw new IllegalStateException("cancelled");
                      }
                    }))
        .hasMessage("cancelled");

    held.close();
    try (GpuLease next = allocator.acquire(1)) {
      assertThat(next.gpus())
          .containsExactly(0); // the abandoned request left no trace in the queue
    }
  }

  @Test
  void neverRunsMoreGpuStepsThanThereAreGpus() throws Exception {
    GpuAllocator allocator = new GpuAllocator(List.of(0, 1, 2));
    AtomicInteger inUse = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    List<CompletableFuture<Void>> steps =
        java.util.stream.IntStream.range(0, 12)
            .mapToObj(
                i ->
                    CompletableFuture.runAsync(
                        () -> {
                          try (GpuLease lease = acquire(allocator, 1 + i % 2)) {
                            int now = inUse.addAndGet(lease.gpus().size());
                            peak.accumulateAndGet(now, Math::max);
                            Thread.sleep(10);
                            inUse.addAndGet(-lease.gpus().size());
                          } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                          }
                        },
                        threads))
            .toList();

    CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    assertThat(peak.get()).isLessThanOrEqualTo(3);
    assertThat(allocator.free()).isEqualTo(3);
  }

  private static GpuLease acquire(GpuAllocator allocator, int count) {
    try {
      return allocator.acquire(count);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
