package dev.trainyard.worker.tensor.prune;

import dev.trainyard.worker.tensor.Parallel;
import dev.trainyard.worker.tensor.RankCut;
import dev.trainyard.worker.tensor.TensorPipeline;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.TensorInfo;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Plans a prune of one checkpoint into pipeline items. */
public final class Pruner {
  private Pruner() {}

  public static List<TensorPipeline.Item> plan(PruneRequest r, Checkpoint model)
      throws IOException {
    GlobalThreshold global =
        r.global() && r.method().equals("magnitude") ? GlobalThreshold.find(r, model) : null;
    List<TensorPipeline.Item> items = new ArrayList<>();
    for (var e : model.tensors().entrySet()) {
      String name = e.getKey();
      TensorInfo info = e.getValue().info();
      TensorSpec spec = new TensorSpec(name, info.dtype(), info.shape());
      if (!r.prunes(name, info)) {
        items.add(TensorPipeline.Item.copied(spec, e.getValue()));
        continue;
      }
      Checkpoint.Entry source = e.getValue();
      items.add(
          TensorPipeline.Item.computed(
              spec,
              () -> {
                float[] x = source.readFloats();
                if (r.method().equals("nm")) {
                  nm(x, (int) info.dim(info.rank() - 1), r.n(), r.m());
                } else if (global != null) {
                  global.apply(x);
                } else {
                  magnitude(x, r.sparsity());
                }
                return x;
              }));
    }
    return items;
  }

  /**
   * Zeroes the {@code floor(sparsity · n)} smallest-magnitude elements (ties: lower index first).
   */
  public static void magnitude(float[] x, double sparsity) {
    long k = (long) (sparsity * x.length);
    RankCut cut = RankCut.at(x, x.length, k);
    Parallel.forRange(x.length, (from, to) -> cut.zeroBelow(x, from, to));
  }

  /**
   * In every group of {@code m} consecutive elements along the last dimension keeps the {@code n}
   * largest magnitudes (ties: lower index kept) — the layout sparse tensor cores accelerate for
   * 2:4. Rows whose length is not a multiple of m leave the tail group dense.
   */
  public static void nm(float[] x, int rowLength, int n, int m) {
    int rows = x.length / Math.max(1, rowLength);
    int groupsPerRow = rowLength / m;
    Parallel.forRange(
        rows,
        Math.max(1, Parallel.MIN_CHUNK / Math.max(1, rowLength)),
        (r0, r1) -> {
          float[] mags = new float[m];
          for (int r = r0; r < r1; r++) {
            for (int g = 0; g < groupsPerRow; g++) {
              int start = r * rowLength + g * m;
              for (int i = 0; i < m; i++) {
                mags[i] = Math.abs(x[start + i]);
              }
              for (int i = 0; i < m; i++) {
                int larger = 0; // elements that outrank i: larger magnitude, or equal and earlier
                for (int k = 0; k < m; k++) {
                  if (mags[k] > mags[i] || (mags[k] == mags[i] && k < i)) {
                    larger++;
                  }
                }
                if (larger >= n) {
                  x[start + i] = 0;
                }
              }
            }
          }
        });
  }

  /**
   * One magnitude threshold over every pruned tensor, found by a radix histogram over the whole
   * model.
   */
  static final class GlobalThreshold {
    private final int threshold;
    private long equalsToZero;

    private GlobalThreshold(int threshold, long equalsToZero) {
      this.threshold = threshold;
      this.equalsToZero = equalsToZero;
    }

    static GlobalThreshold find(PruneRequest r, Checkpoint model) throws IOException {
      List<Checkpoint.Entry> entries =
          model.tensors().entrySet().stream()
              .filter(e -> r.prunes(e.getKey(), e.getValue().info()))
              .map(java.util.Map.Entry::getValue)
              .toList();
      long total = entries.stream().mapToLong(e -> e.info().numel()).sum();
      long rank = (long) (r.sparsity() * total);
      if (rank <= 0) {
        return new GlobalThreshold(-1, 0);
      }
      if (rank >= total) {
        return new GlobalThreshold(Integer.MAX_VALUE, 0);
      }
      long[] high = new long[1 << 15];
      for (Checkpoint.Entry e : entries) {
        for (float v : e.readFloats()) {
          high[bits(v) >>> 16]++;
        }
      }
      long below = 0;
      int hb = 0;
      while (below + high[hb] <= rank) {
        below += high[hb++];
      }
      long[] low = new long[1 << 16];
      for (Checkpoint.Entry e : entries) {
        for (float v : e.readFloats()) {
          int b = bits(v);
          if (b >>> 16 == hb) {
            low[b & 0xFFFF]++;
          }
        }
      }
      int lb = 0;
      while (below + low[lb] <= rank) {
        below += low[lb++];
      }
      return new GlobalThreshold((hb << 16) | lb, rank - below);
    }

    private static int bits(float v) {
      return Float.floatToRawIntBits(v) & 0x7FFFFFFF;
    }

    /**
     * Called for tensors in plan order: ties at the threshold are zeroed in that order until the
     * count is met.
     */
    void apply(float[] x) {
      for (int j = 0; j < x.length; j++) {
        int b = bits(x[j]);
        if (b < threshold) {
          x[j] = 0;
        } else if (b == threshold && equalsToZero > 0) {
          x[j] = 0;
          equalsToZero--;
        }
      }
    }
  }
}
