package dev.trainyard.worker.tensor.merge;

import dev.trainyard.worker.tensor.Parallel;
import dev.trainyard.worker.tensor.RankCut;

/**
 * mergekit's generalised task arithmetic: task vectors {@code δᵢ = xᵢ − base} are sparsified (TIES:
 * top-k by magnitude; DARE: seeded random drop with 1/density rescale; breadcrumbs: drop the
 * largest {@code gamma} share and the smallest so that {@code density} remains), weighted,
 * optionally sign-elected (TIES consensus: the sign of {@code Σ wᵢδᵢ}, then a mean over agreeing
 * entries), scaled by λ and added to the base.
 */
public final class TaskVectorMerge implements MergeMethod {
  /** How task vectors are thinned before mixing. */
  public enum Sparsification {
    NONE,
    MAGNITUDE,
    RANDOM,
    OUTLIERS
  }

  private final MergeSettings settings;
  private final Sparsification sparsification;
  private final boolean consensus;
  private final boolean normalize;
  private final boolean rescale;

  public TaskVectorMerge(
      MergeSettings settings,
      Sparsification sparsification,
      boolean consensus,
      boolean defaultNormalize) {
    this.settings = settings;
    this.sparsification = sparsification;
    this.consensus = consensus;
    this.normalize = settings.normalize(defaultNormalize);
    this.rescale = settings.rescale(sparsification == Sparsification.RANDOM);
  }

  public static TaskVectorMerge of(String method, MergeSettings s) {
    boolean ties = "ties".equals(s.variant());
    return switch (method) {
      case "task-arithmetic" -> new TaskVectorMerge(s, Sparsification.NONE, false, false);
      case "ties" -> new TaskVectorMerge(s, Sparsification.MAGNITUDE, true, true);
      case "dare" -> new TaskVectorMerge(s, Sparsification.RANDOM, ties, false);
      case "breadcrumbs" -> new TaskVectorMerge(s, Sparsification.OUTLIERS, ties, false);
      default -> throw new IllegalArgumentException("not a task-vector method: " + method);
    };
  }

  @Override
  public float[] merge(String name, float[] base, float[][] models) {
    int m = models.length;
    int n = base.length;
    double[] w = new double[m];
    for (int i = 0; i < m; i++) {
      w[i] = settings.models().get(i).weight(name);
      float[] x = models[i];
      Parallel.forRange(
          n,
          (from, to) -> {
            for (int j = from; j < to; j++) {
              x[j] -= base[j];
            }
          });
      sparsify(name, i, x);
    }
    double lambda = settings.lambda(name);
    Parallel.forRange(
        n,
        (from, to) -> {
          for (int j = from; j < to; j++) {
            double mixed = 0;
            double divisor = 0;
            if (consensus) {
              double total = 0;
              for (int i = 0; i < m; i++) {
                total += w[i] * models[i][j];
              }
              double majority = total >= 0 ? 1 : -1;
              for (int i = 0; i < m; i++) {
                double wd = w[i] * models[i][j];
                if (Math.signum(wd) == majority) {
                  mixed += wd;
                  divisor += w[i];
                }
              }
              if (divisor == 0) {
                divisor = 1;
              }
            } else {
              for (int i = 0; i < m; i++) {
                mixed += w[i] * models[i][j];
                divisor += w[i];
              }
              if (Math.abs(divisor) < 1e-8) {
                divisor = 1;
              }
            }
            if (normalize) {
              mixed /= divisor;
            }
            base[j] = (float) (base[j] + mixed * lambda);
          }
        });
    return base;
  }

  private void sparsify(String name, int model, float[] d) {
    double density = settings.models().get(model).density(name);
    if (sparsification == Sparsification.NONE || density >= 1) {
      return;
    }
    int n = d.length;
    switch (sparsification) {
      case MAGNITUDE -> {
        long k = (long) (density * n);
        RankCut cut = RankCut.at(d, n, n - k);
        Parallel.forRange(
            n,
            (from, to) -> {
              for (int j = from; j < to; j++) {
                if (!cut.atOrAbove(d[j], j)) {
                  d[j] = 0;
                }
              }
            });
      }
      case RANDOM -> {
        DropMask mask = new DropMask(settings.seed(), model, name, density);
        double scale = rescale && density > 0 ? 1 / density : 1;
        Parallel.forRange(
            n,
            (from, to) -> {
              for (int j = from; j < to; j++) {
                d[j] = mask.keep(j) ? (float) (d[j] * scale) : 0;
              }
            });
      }
      case OUTLIERS -> {
        long target = (long) (density * n);
        long top = (long) (settings.models().get(model).gamma(name) * n);
        long bottom = n - target - top;
        if (bottom < 0) {
          top = n - target;
          bottom = 0;
        }
        RankCut lo = RankCut.at(d, n, bottom);
        RankCut hi = RankCut.at(d, n, n - top);
        Parallel.forRange(
            n,
            (from, to) -> {
              for (int j = from; j < to; j++) {
                if (!lo.atOrAbove(d[j], j) || hi.atOrAbove(d[j], j)) {
                  d[j] = 0;
                }
              }
            });
      }
      default -> throw new IllegalStateException();
    }
  }
}
