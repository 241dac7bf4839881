package dev.trainyard.worker.tensor.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.trainyard.worker.tensor.RankCut;
import dev.trainyard.worker.tensor.prune.Pruner;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fast paths (radix selection, branch-free masks and sign election) give bit for bit what the
 * plain definitions give: the kept set of a sort by (|x|, index), and the element-by-element
 * TIES/DARE/breadcrumbs loops as first written. Data has many ties (values on a coarse grid), zeros
 * of both signs, and a few NaNs and infinities.
 */
class BranchFreeExactnessTest {

  static float[] tiedData(Random r, int n) {
    return tiedData(r, n, 1);
  }

  /**
   * @param specials how often NaN and infinities come: in 1 of 100 positions per kind × this (0:
   *     never)
   */
  static float[] tiedData(Random r, int n, int specials) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      int kind = r.nextInt(100);
      if (kind >= 2 && kind <= 4 && (specials == 0 || r.nextInt(specials) != 0)) {
        kind = 5;
      }
      x[i] =
          switch (kind) {
            case 0 -> 0f;
            case 1 -> -0f;
            case 2 -> Float.NaN;
            case 3 -> r.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
            case 4 -> Float.intBitsToFloat(0x7FFFFFFF); // a NaN with every mantissa bit
            default -> (r.nextInt(41) - 20) / 8f; // a coarse grid: many equal magnitudes
          };
    }
    return x;
  }

  /** The definition: sort indices by (|x| bits, index), keep ranks ≥ k. */
  static boolean[] keptBySort(float[] x, long k) {
    Integer[] idx = new Integer[x.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(
        idx,
        Comparator.<Integer>comparingInt(i -> Float.floatToRawIntBits(x[i]) & 0x7FFFFFFF)
            .thenComparingInt(i -> i));
    boolean[] kept = new boolean[x.length];
    for (int rank = 0; rank < idx.length; rank++) {
      kept[idx[rank]] = rank >= k;
    }
    return kept;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 7, 1000, 300_000})
  void magnitudeCutKeepsExactlyTheSortedTopRanksIncludingTies(int n) {
    Random r = new Random(n);
    float[] x = tiedData(r, n);
    for (long k : new long[] {0, 1, n / 3, n / 2, n - 1, n}) {
      boolean[] expected = keptBySort(x, k);
      RankCut cut = RankCut.at(x, n, k);
      float[] zeroed = x.clone();
      cut.zeroBelow(zeroed, 0, n);
      for (int i = 0; i < n; i++) {
        assertEquals(expected[i], cut.atOrAbove(x[i], i), "atOrAbove at " + i + ", k=" + k);
        int want = expected[i] ? Float.floatToRawIntBits(x[i]) : 0;
        assertEquals(want, Float.floatToRawIntBits(zeroed[i]), "zeroBelow at " + i + ", k=" + k);
      }
    }
    for (double sparsity : new double[] {0, 0.3, 0.5, 0.9, 1}) {
      boolean[] expected = keptBySort(x, (long) (sparsity * n));
      float[] pruned = x.clone();
      Pruner.magnitude(pruned, sparsity);
      for (int i = 0; i < n; i++) {
        int want = expected[i] ? Float.floatToRawIntBits(x[i]) : 0;
        assertEquals(want, Float.floatToRawIntBits(pruned[i]), "prune at " + i + ", " + sparsity);
      }
    }
  }

  private static MergeSettings settings(double lambda, long seed, String variant) {
    return new MergeSettings(
        List.of(
            new MergeSettings.ModelParams(
                Param.constant("weight", 1.0),
                Param.constant("density", 0.5),
                Param.constant("gamma", 0.1)),
            new MergeSettings.ModelParams(
                Param.constant("weight", 0.5),
                Param.constant("density", 0.3),
                Param.constant("gamma", 0.05)),
            new MergeSettings.ModelParams(
                Param.constant("weight", -0.25),
                Param.constant("density", 0.7),
                Param.constant("gamma", 0.0))),
        Param.constant("lambda", lambda),
        null,
        null,
        null,
        seed,
        variant);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ties", "dare", "dare-ties", "breadcrumbs", "breadcrumbs-ties"})
  void taskVectorMethodsMatchTheElementwiseDefinitionBitForBit(String which) {
    String method = which.replace("-ties", "");
    String variant = which.endsWith("-ties") ? "ties" : null;
    MergeSettings s = settings(0.8, 42, variant);
    TaskVectorMerge fast = TaskVectorMerge.of(method, s);
    int n = 200_003; // above Parallel's chunk size, so several threads take part
    Random r = new Random(which.hashCode());
    // specials everywhere, in a few blocks only, or nowhere: the fast and general election paths
    for (int specials : new int[] {1, 3000, 0}) {
      float[] base = tiedData(r, n, specials);
      float[][] models = {
        tiedData(r, n, specials), tiedData(r, n, specials), tiedData(r, n, specials)
      };
      float[] expected =
          Reference.merge(method, variant != null, s, "w", base.clone(), copy(models));
      float[] actual = fast.merge("w", base.clone(), copy(models));
      assertArrayEquals(bits(expected), bits(actual), "specials " + specials);
    }
  }

  @org.junit.jupiter.api.Test
  void linearFromMappedBlocksEqualsLinearFromWholeArraysAndTheElementwiseSum() {
    MergeSettings s = settings(1, 0, null);
    LinearMerge linear = new LinearMerge(s);
    int n = 300_007;
    Random r = new Random(3);
    float[][] models = {tiedData(r, n), tiedData(r, n), tiedData(r, n)};
    double[] w = {1.0, 0.5, -0.25};
    float[] expected = new float[n];
    for (int j = 0; j < n; j++) {
      double acc = 0;
      for (int i = 0; i < 3; i++) {
        acc += w[i] * models[i][j];
      }
      expected[j] = (float) (acc / 1.25);
    }
    dev.trainyard.worker.tensor.safetensors.SafetensorsFile.FloatSource[] sources =
        new dev.trainyard.worker.tensor.safetensors.SafetensorsFile.FloatSource[3];
    for (int i = 0; i < 3; i++) {
      float[] x = models[i];
      sources[i] = (from, dst, off, count) -> System.arraycopy(x, from, dst, off, count);
    }
    assertArrayEquals(bits(expected), bits(linear.merge("w", sources, n)));
    assertArrayEquals(bits(expected), bits(linear.merge("w", null, copy(models))));
  }

  private static float[][] copy(float[][] xs) {
    float[][] c = new float[xs.length][];
    for (int i = 0; i < xs.length; i++) {
      c[i] = xs[i].clone();
    }
    return c;
  }

  /**
   * Exact bits, except that every NaN counts as one: Java leaves a NaN's payload to the hardware
   * and the compiler (interpreted and compiled code differ), so only "NaN" is the result.
   */
  private static int[] bits(float[] x) {
    int[] b = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      b[i] = Float.floatToIntBits(x[i]);
    }
    return b;
  }

  /** TaskVectorMerge as first written: sorted cuts, branches, Math.signum. */
  static final class Reference {
    static float[] merge(
        String method,
        boolean consensusVariant,
        MergeSettings s,
        String name,
        float[] base,
        float[][] models) {
      boolean consensus = method.equals("ties") || consensusVariant;
      boolean normalize = s.normalize(method.equals("ties"));
      boolean rescale = s.rescale(method.equals("dare"));
      int m = models.length;
      int n = base.length;
      double[] w = new double[m];
      for (int i = 0; i < m; i++) {
        w[i] = s.models().get(i).weight(name);
        float[] d = models[i];
        for (int j = 0; j < n; j++) {
          d[j] -= base[j];
        }
        double density = s.models().get(i).density(name);
        if (density >= 1) {
          continue;
        }
        switch (method) {
          case "ties" -> {
            boolean[] kept = keptBySort(d, n - (long) (density * n));
            for (int j = 0; j < n; j++) {
              if (!kept[j]) {
                d[j] = 0;
              }
            }
          }
          case "dare" -> {
            DropMask mask = new DropMask(s.seed(), i, name, density);
            double scale = rescale && density > 0 ? 1 / density : 1;
            for (int j = 0; j < n; j++) {
              d[j] = mask.keep(j) ? (float) (d[j] * scale) : 0;
            }
          }
          case "breadcrumbs" -> {
            long target = (long) (density * n);
            long top = (long) (s.models().get(i).gamma(name) * n);
            long bottom = n - target - top;
            if (bottom < 0) {
              top = n - target;
              bottom = 0;
            }
            boolean[] lo = keptBySort(d, bottom);
            boolean[] hi = keptBySort(d, n - top);
            for (int j = 0; j < n; j++) {
              if (!lo[j] || hi[j]) {
                d[j] = 0;
              }
            }
          }
          default -> throw new IllegalArgumentException(method);
        }
      }
      double lambda = s.lambda(name);
      for (int j = 0; j < n; j++) {
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
      return base;
    }
  }
}
