package dev.trainyard.worker.tensor.merge;

import dev.trainyard.worker.tensor.Parallel;

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
    int m = models.length;
    double[] w = new double[m];
    double sum = 0;
    for (int i = 0; i < m; i++) {
      w[i] = settings.models().get(i).weight(name);
      sum += w[i];
    }
    double divisor = settings.normalize(true) ? sum : 1.0;
    float[] out = models[0];
    Parallel.forRange(
        out.length,
        (from, to) -> {
          // model by model over a cache-sized block rather than element by element over every
          // model: each loop is one stream that C2 vectorises. Same sums in the same order
          // (starting from +0.0), so the same result as the element-wise loop, bit for bit.
          double[] acc = new double[Math.min(BLOCK, to - from)];
          for (int s = from; s < to; s += BLOCK) {
            int len = Math.min(BLOCK, to - s);
            for (int k = 0; k < len; k++) {
              acc[k] = 0.0;
            }
            for (int i = 0; i < m; i++) {
              float[] x = models[i];
              double wi = w[i];
              for (int k = 0; k < len; k++) {
                acc[k] += wi * x[s + k];
              }
            }
            for (int k = 0; k < len; k++) {
              out[s + k] = (float) (acc[k] / divisor);
            }
          }
        });
    return out;
  }
}
