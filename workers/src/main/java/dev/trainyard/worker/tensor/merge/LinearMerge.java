package dev.trainyard.worker.tensor.merge;

import dev.trainyard.worker.tensor.Parallel;

/**
 * Weighted average {@code Σ wᵢ xᵢ / Σ wᵢ} (the division only when normalising, mergekit's default).
 */
public final class LinearMerge implements MergeMethod {
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
          for (int j = from; j < to; j++) {
            double acc = 0;
            for (int i = 0; i < m; i++) {
              acc += w[i] * models[i][j];
            }
            out[j] = (float) (acc / divisor);
          }
        });
    return out;
  }
}
