package dev.trainyard.worker.gpu;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Hands the host's GPUs out to steps so that no GPU runs two steps. Requests are served first come,
 * first served: a step that needs many GPUs is not starved by a stream of one-GPU steps.
 */
public final class GpuAllocator {
  private final int total;
  private final TreeSet<Integer> free = new TreeSet<>();
  private final Deque<Object> waiting = new ArrayDeque<>();
  private final Map<Integer, GpuHolder> holders = new HashMap<>();

  public GpuAllocator(List<Integer> gpuIndices) {
    this.total = gpuIndices.size();
    this.free.addAll(gpuIndices);
  }

  public GpuAllocator(GpuInventory inventory) {
    this(inventory.indices());
  }

  public int total() {
    return total;
  }

  public synchronized int free() {
    return free.size();
  }

  /** Blocks until {@code count} GPUs are free. */
  public GpuLease acquire(int count) throws InterruptedException {
    return acquire(count, Duration.ofMinutes(1), () -> {});
  }

  /**
   * Blocks until {@code count} GPUs are free, running {@code whileWaiting} every {@code tick}
   * (outside the lock) — the step activity heartbeats there, which is how a cancellation reaches a
   * waiting step. Whatever {@code whileWaiting} throws ends the wait and is rethrown.
   *
   * @throws IllegalArgumentException if this host has fewer than {@code count} GPUs: waiting would
   *     be forever
   */
  public GpuLease acquire(int count, Duration tick, Runnable whileWaiting)
      throws InterruptedException {
    return acquire(count, tick, whileWaiting, null);
  }

  /**
   * As {@link #acquire(int, Duration, Runnable)}, recording {@code holder} (the step attempt) for
   * each GPU taken until the lease closes: the workers page and the GPU series show it.
   */
  public GpuLease acquire(int count, Duration tick, Runnable whileWaiting, GpuHolder holder)
      throws InterruptedException {
    if (count < 0) {
      throw new IllegalArgumentException("GPU count must be >= 0, got " + count);
    }
    if (count > total) {
      throw new IllegalArgumentException(
          "step needs "
              + count
              + " GPU(s) but this host has "
              + total
              + (total == 0 ? " (CPU-only worker)" : "")
              + "; route it to a pool with larger hosts");
    }
    if (count == 0) {
      return new GpuLease(this, List.of());
    }
    Object ticket = new Object();
    synchronized (this) {
      waiting.addLast(ticket);
    }
    try {
      while (true) {
        synchronized (this) {
          long deadline = System.nanoTime() + tick.toNanos();
          while (!myTurn(ticket, count)) {
            long remainingMillis = (deadline - System.nanoTime()) / 1_000_000;
            if (remainingMillis <= 0) {
              break;
            }
            wait(remainingMillis);
          }
          if (myTurn(ticket, count)) {
            List<Integer> taken = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
              Integer gpu = free.pollFirst();
              taken.add(gpu);
              if (holder != null) {
                holders.put(gpu, holder);
              }
            }
            return new GpuLease(this, taken);
          }
        }
        whileWaiting.run();
      }
    } finally {
      synchronized (this) {
        waiting.remove(ticket);
        notifyAll();
      }
    }
  }

  private boolean myTurn(Object ticket, int count) {
    return waiting.peekFirst() == ticket && free.size() >= count;
  }

  /** The step attempt holding each leased GPU now, by GPU index (free GPUs are absent). */
  public synchronized Map<Integer, GpuHolder> holders() {
    return Map.copyOf(holders);
  }

  synchronized void release(List<Integer> gpus) {
    gpus.forEach(holders::remove);
    free.addAll(gpus);
    notifyAll();
  }
}
