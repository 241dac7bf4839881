package dev.trainyard.worker.tensor.merge;

import dev.trainyard.worker.tensor.Parallel;

/**
 * Model Stock (Jang et al. 2024) as mergekit computes it per tensor: {@code cos θ} is the mean
 * cosine between every pair of task vectors, {@code t = N cos θ / (1 + (N − 1) cos θ)}, and the
 * result is {@code t · mean(models) + (1 − t) · base}.
 */
public final class ModelStockMerge implements MergeMethod {
  @Override
  public float[] merge(String name, float[] base, float[][] models) {
    int m = models.length;
    int n = base.length;
    // pairwise dot products of task vectors, and their squared norms, in one pass over the data
    int blocks = Parallel.blockCount(n, Parallel.MIN_CHUNK);
    double[][] partial = new double[blocks][];
    Parallel.blocks(
        n,
        blocks,
        (blk, from, to) -> {
          double[] g = new double[m * m];
          double[] d = new double[m];
          for (int j = from; j < to; j++) {
            for (int i = 0; i < m; i++) {
              d[i] = (double) models[i][j] - base[j];
            }
            for (int a = 0; a < m; a++) {
              for (int b = a; b < m; b++) {
                g[a * m + b] += d[a] * d[b];
              }
            }
          }
          partial[blk] = g;
        });
    double[] g = new double[m * m];
    for (double[] p : partial) {
      for (int i = 0; i < g.length; i++) {
        g[i] += p[i];
      }
    }
    double cosSum = 0;
    int pairs = 0;
    for (int a = 0; a < m; a++) {
      for (int b = a + 1; b < m; b++) {
        double norms = Math.sqrt(g[a * m + a]) * Math.sqrt(g[b * m + b]);
        double cos = g[a * m + b] / Math.max(norms, 1e-6);
        cosSum += Math.max(-1, Math.min(1, cos));
        pairs++;
      }
    }
    double cos = cosSum / pairs;
    double t = m * cos / (1 + (m - 1) * cos);
    Parallel.forRange(
        n,
        (from, to) -> {
          for (int j = from; j < to; j++) {
            double avg = 0;
            for (int i = 0; i < m; i++) {
              avg += models[i][j];
            }
            avg /= m;
            base[j] = (float) (t * avg + (1 - t) * base[j]);
          }
        });
    return base;
  }
}
