package dev.trainyard.worker.tensor.merge;

import dev.trainyard.worker.tensor.Parallel;

/**
 * Spherical interpolation between two models by {@code t} (per tensor-name pattern), treating each
 * tensor as one vector; nearly colinear tensors ({@code |cos| > 0.9995}) are interpolated linearly,
 * as mergekit does.
 */
public final class SlerpMerge implements MergeMethod {
  static final double DOT_THRESHOLD = 0.9995;
  static final double EPS = 1e-8;
  private final MergeSettings settings;

  public SlerpMerge(MergeSettings settings) {
    this.settings = settings;
  }

  @Override
  public float[] merge(String name, float[] base, float[][] models) {
    float[] v0 = base != null ? base : models[0];
    float[] v1 = base != null ? models[0] : models[1];
    double t = settings.t().valueFor(name, 0.5);
    int n = v0.length;
    double[] sums = reduce(v0, v1); // |v0|², |v1|², v0·v1
    double n0 = Math.sqrt(sums[0]);
    double n1 = Math.sqrt(sums[1]);
    double dot = sums[2] / ((n0 > EPS ? n0 : 1) * (n1 > EPS ? n1 : 1));
    double s0;
    double s1;
    if (Math.abs(dot) > DOT_THRESHOLD) {
      s0 = 1 - t;
      s1 = t;
    } else {
      double theta0 = Math.acos(dot);
      double sin0 = Math.sin(theta0);
      double thetaT = theta0 * t;
      s0 = Math.sin(theta0 - thetaT) / sin0;
      s1 = Math.sin(thetaT) / sin0;
    }
    float[] out = v0;
    Parallel.forRange(
        n,
        (from, to) -> {
          for (int j = from; j < to; j++) {
            out[j] = (float) (s0 * v0[j] + s1 * v1[j]);
          }
        });
    return out;
  }

  private static double[] reduce(float[] a, float[] b) {
    int n = a.length;
    int blocks = Parallel.blockCount(n, Parallel.MIN_CHUNK);
    double[][] partial = new double[blocks][3];
    Parallel.blocks(
        n,
        blocks,
        (blk, from, to) -> {
          double aa = 0, bb = 0, ab = 0;
          for (int j = from; j < to; j++) {
            aa += (double) a[j] * a[j];
            bb += (double) b[j] * b[j];
            ab += (double) a[j] * b[j];
          }
          partial[blk] = new double[] {aa, bb, ab};
        });
    double[] s = new double[3];
    for (double[] p : partial) {
      s[0] += p[0];
      s[1] += p[1];
      s[2] += p[2];
    }
    return s;
  }
}
