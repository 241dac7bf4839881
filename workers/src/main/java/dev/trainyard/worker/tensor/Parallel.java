package dev.trainyard.worker.tensor;

import java.util.stream.IntStream;

/**
 * Data parallelism inside one tensor: ranges of elements processed on every core. Parallelising
 * within a tensor rather than across tensors keeps peak memory at the inputs of a single tensor,
 * whatever the core count, and lets output be written (and hashed) in order.
 */
public final class Parallel {
  /** Below this many elements a tensor is processed on the calling thread. */
  public static final int MIN_CHUNK = 1 << 16;

  private Parallel() {}

  /** A body over the element range {@code [from, to)}. */
  @FunctionalInterface
  public interface RangeBody {
    void run(int from, int to);
  }

  public static void forRange(int n, RangeBody body) {
    forRange(n, MIN_CHUNK, body);
  }

  public static void forRange(int n, int minChunk, RangeBody body) {
    int threads = Runtime.getRuntime().availableProcessors();
    if (n <= minChunk || threads == 1) {
      body.run(0, n);
      return;
    }
    int chunks = (int) Math.min((n + (long) minChunk - 1) / minChunk, threads * 4L);
    long per = (n + (long) chunks - 1) / chunks;
    IntStream.range(0, chunks)
        .parallel()
        .forEach(
            c -> {
              int from = (int) Math.min(n, c * per);
              int to = (int) Math.min(n, from + per);
              if (from < to) {
                body.run(from, to);
              }
            });
  }

  /** Number of equal-sized blocks {@link #blocks} would use. */
  public static int blockCount(int n, int minChunk) {
    int threads = Runtime.getRuntime().availableProcessors();
    return n <= minChunk || threads == 1
        ? 1
        : (int) Math.min((n + (long) minChunk - 1) / minChunk, threads * 4L);
  }

  /** A body over block {@code b} of {@code blocks}, covering {@code [from, to)}. */
  @FunctionalInterface
  public interface BlockBody {
    void run(int block, int from, int to);
  }

  /**
   * Like {@link #forRange} but with numbered blocks, for per-block partial results merged
   * afterwards.
   */
  public static void blocks(int n, int blocks, BlockBody body) {
    long per = (n + (long) blocks - 1) / Math.max(1, blocks);
    IntStream range = IntStream.range(0, blocks);
    (blocks > 1 ? range.parallel() : range)
        .forEach(
            b -> {
              int from = (int) Math.min(n, b * per);
              int to = (int) Math.min(n, from + per);
              body.run(b, from, to);
            });
  }
}
