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

  private static final long ONE_BITS = Double.doubleToRawLongBits(1.0);

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
              // Branch-free (the signs of task vectors are coin flips; a branch on them is
              // mispredicted half the time): the elected sign is + when total >= 0 (so -0.0 too),
              // - otherwise (NaN included), and an entry counts when signum(wd) equals it, that
              // is when wd · majority > 0. Adding +0.0 for the others changes nothing: both sums
              // start at +0.0 and never become -0.0.
              long flip = negativeSignBit(total);
              for (int i = 0; i < m; i++) {
                double wd = w[i] * models[i][j];
                long agrees = positiveMask(Double.doubleToRawLongBits(wd) ^ flip);
                mixed += Double.longBitsToDouble(Double.doubleToRawLongBits(wd) & agrees);
                divisor += Double.longBitsToDouble(Double.doubleToRawLongBits(w[i]) & agrees);
              }
              // divisor == 0 ? 1 : divisor, branch-free too: no entry agrees about a third of the
              // time (everywhere every trimmed task vector is zero). divisor is never -0.0.
              long db = Double.doubleToRawLongBits(divisor);
              divisor += Double.longBitsToDouble(ONE_BITS & (((db - 1) & ~db) >> 63));
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

  /** The sign bit when {@code !(total >= 0)} (negative or NaN), else 0. */
  static long negativeSignBit(double total) {
    long q = Double.doubleToRawLongBits(total + 0.0); // + 0.0 turns -0.0 into +0.0
    long nonNegative = ((q - 0x7FF0000000000001L) & ~q) >> 63; // all ones for +0.0 … +inf
    return ~nonNegative & Long.MIN_VALUE;
  }

  /** All ones when the double with these bits is {@code > 0} (not NaN), else 0. */
  static long positiveMask(long bits) {
    return ((-bits) & (bits - 0x7FF0000000000001L)) >> 63;
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
        Parallel.forRange(n, (from, to) -> cut.zeroBelow(d, from, to));
      }
      case RANDOM -> {
        DropMask mask = new DropMask(settings.seed(), model, name, density);
        double scale = rescale && density > 0 ? 1 / density : 1;
        Parallel.forRange(
            n,
            (from, to) -> {
              for (int j = from; j < to; j++) {
                // branch-free, as in RankCut.zeroBelow: all ones when uniform < density
                int keep = (int) (Double.doubleToRawLongBits(mask.uniform(j) - density) >> 63);
                d[j] = Float.intBitsToFloat(Float.floatToRawIntBits((float) (d[j] * scale)) & keep);
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
