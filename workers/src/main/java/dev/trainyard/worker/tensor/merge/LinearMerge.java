package dev.trainyard.worker.tensor.merge;

import dev.trainyard.worker.tensor.Parallel;
import dev.trainyard.worker.tensor.safetensors.SafetensorsFile.FloatSource;

/**
 * Weighted average {@code Σ wᵢ xᵢ / Σ wᵢ} (the division only when normalising, mergekit's default).
 */
public final class LinearMerge implements MergeMethod {
  /** Elements per block: the accumulators (8 bytes each) stay in the L1/L2 cache. */
  private static final int BLOCK = 4096;

  private final MergeSettings settings;

  public LinearMerge(MergeSettings settings) {
    this.settings = settings;
  }

  @Override
  public float[] merge(String name, float[] base, float[][] models) {
    float[] out = models[0];
    FloatSource[] sources = new FloatSource[models.length];
    for (int i = 0; i < models.length; i++) {
      float[] x = models[i];
      sources[i] = (from, dst, off, count) -> System.arraycopy(x, from, dst, off, count);
    }
    sum(name, sources, out);
    return out;
  }

  /**
   * The same merge straight from the inputs' files: each block of every input is decoded into a
   * small per-thread buffer and summed at once, so no input is ever held whole (the output is the
   * only tensor-sized array) and the decoded values are still in the cache when they are added.
   */
  public float[] merge(String name, FloatSource[] models, int n) {
    float[] out = new float[n];
    sum(name, models, out);
    return out;
  }

  private void sum(String name, FloatSource[] models, float[] out) {
    int m = models.length;
    double[] w = new double[m];
    double total = 0;
    for (int i = 0; i < m; i++) {
      w[i] = settings.models().get(i).weight(name);
      total += w[i];
    }
    double divisor = settings.normalize(true) ? total : 1.0;
    Parallel.forRange(
        out.length,
        (from, to) -> {
          // model by model over a cache-sized block rather than element by element over every
          // model: each loop streams one array, which C2 can vectorise. Same sums in the same order
          // (starting from +0.0), so the same result as the element-wise loop, bit for bit.
          int size = Math.min(BLOCK, to - from);
          double[] acc = new double[size];
          float[] x = new float[size];
          for (int s = from; s < to; s += BLOCK) {
            int len = Math.min(BLOCK, to - s);
            for (int k = 0; k < len; k++) {
              acc[k] = 0.0;
            }
            for (int i = 0; i < m; i++) {
              models[i].read(s, x, 0, len);
              double wi = w[i];
              for (int k = 0; k < len; k++) {
                acc[k] += wi * x[k];
              }
            }
            for (int k = 0; k < len; k++) {
              out[s + k] = (float) (acc[k] / divisor);
            }
          }
        });
  }
}
