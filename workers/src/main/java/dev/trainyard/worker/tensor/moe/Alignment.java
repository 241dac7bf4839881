package dev.trainyard.worker.tensor.moe;

import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Aligns one expert's hidden units to another's before they are averaged (MC-SMoE's permutation
 * alignment). An expert {@code w2 · (silu(w1·x) ⊙ w3·x)} computes the same function under any
 * permutation P of its hidden units (rows of w1 and w3, columns of w2), but averaging two experts
 * unit by unit only makes sense when unit i of one does the job of unit i of the other.
 *
 * <p>The permutation maximises {@code Σ_i ⟨u_i, v_{π(i)}⟩}, where a unit's vector is its w1 row,
 * its w3 row and its w2 column together: that is exactly the P minimising the Frobenius distance
 * {@code ‖E_dominant − P(E_member)‖²} over all three weights, i.e. the error averaging adds. It is
 * solved exactly by the Hungarian algorithm (O(ffn³): 2 ms at ffn 256, 0.34 s at 2048 on 2 cores,
 * docs/benchmarks.md; at Mixtral-8x7B's 14336 minutes per pair and a 1.6 GB similarity matrix). A
 * greedy match is quadratic but can lock an early pair that forces bad matches later, and it gives
 * no guarantee that aligning an expert to itself yields the identity; the optimal assignment does
 * (by Cauchy–Schwarz no permutation beats ⟨u, u⟩).
 */
final class Alignment {
  private Alignment() {}

  /**
   * For each unit i of the dominant expert, the member's unit matched to it.
   *
   * @throws UncheckedIOException when a tensor cannot be read (inside the pipeline's producer)
   */
  static int[] match(Checkpoint model, int layer, int dominant, int member) {
    try {
      float[] d1 = model.entry(MixtralLayout.expert(layer, dominant, "w1")).readFloats();
      float[] d3 = model.entry(MixtralLayout.expert(layer, dominant, "w3")).readFloats();
      float[] d2 = model.entry(MixtralLayout.expert(layer, dominant, "w2")).readFloats();
      float[] m1 = model.entry(MixtralLayout.expert(layer, member, "w1")).readFloats();
      float[] m3 = model.entry(MixtralLayout.expert(layer, member, "w3")).readFloats();
      float[] m2 = model.entry(MixtralLayout.expert(layer, member, "w2")).readFloats();
      int ffn = (int) model.entry(MixtralLayout.expert(layer, dominant, "w1")).info().dim(0);
      int hidden = d1.length / ffn;
      double[][] sim = new double[ffn][ffn];
      for (int i = 0; i < ffn; i++) {
        for (int j = 0; j < ffn; j++) {
          double s = 0;
          for (int h = 0; h < hidden; h++) {
            s += (double) d1[i * hidden + h] * m1[j * hidden + h];
            s += (double) d3[i * hidden + h] * m3[j * hidden + h];
            s += (double) d2[h * ffn + i] * m2[h * ffn + j]; // w2 is [hidden, ffn]
          }
          sim[i][j] = s;
        }
      }
      return maximize(sim);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The member's weight with its units in the dominant expert's order: rows for w1/w3 [ffn,
   * hidden], columns for w2 [hidden, ffn].
   */
  static float[] permute(float[] x, int rows, int cols, int[] perm, boolean columns) {
    float[] out = new float[x.length];
    if (columns) {
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          out[r * cols + c] = x[r * cols + perm[c]];
        }
      }
    } else {
      for (int r = 0; r < rows; r++) {
        System.arraycopy(x, perm[r] * cols, out, r * cols, cols);
      }
    }
    return out;
  }

  /**
   * The assignment of rows to columns with the largest total of {@code a[i][π(i)]} (Hungarian
   * algorithm with potentials, O(n³)); {@code result[i]} is row i's column.
   */
  static int[] maximize(double[][] a) {
    int n = a.length;
    double[] u = new double[n + 1];
    double[] v = new double[n + 1];
    int[] p = new int[n + 1]; // p[j]: row matched to column j (1-based, 0 = none)
    int[] way = new int[n + 1];
    for (int i = 1; i <= n; i++) {
      p[0] = i;
      int j0 = 0;
      double[] minv = new double[n + 1];
      Arrays.fill(minv, Double.POSITIVE_INFINITY);
      boolean[] used = new boolean[n + 1];
      do {
        used[j0] = true;
        int i0 = p[j0];
        double delta = Double.POSITIVE_INFINITY;
        int j1 = 0;
        for (int j = 1; j <= n; j++) {
          if (!used[j]) {
            double cur = -a[i0 - 1][j - 1] - u[i0] - v[j]; // minimise the negated similarity
            if (cur < minv[j]) {
              minv[j] = cur;
              way[j] = j0;
            }
            if (minv[j] < delta) {
              delta = minv[j];
              j1 = j;
            }
          }
        }
        for (int j = 0; j <= n; j++) {
          if (used[j]) {
            u[p[j]] += delta;
            v[j] -= delta;
          } else {
            minv[j] -= delta;
          }
        }
        j0 = j1;
      } while (p[j0] != 0);
      do {
        int j1 = way[j0];
        p[j0] = p[j1];
        j0 = j1;
      } while (j0 != 0);
    }
    int[] result = new int[n];
    for (int j = 1; j <= n; j++) {
      result[p[j] - 1] = j - 1;
    }
    return result;
  }
}
