package dev.trainyard.worker.tensor.moe;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

/**
 * The best rank-r approximation of a matrix (Eckart–Young: its r largest singular triplets),
 * written back as the full matrix, so a compressed expert keeps the plain Mixtral layout and any
 * loader reads it; the saving is in what the matrix can express, and a factored export can follow.
 */
final class LowRank {
  private LowRank() {}

  /** {@code x} [rows × cols] truncated to rank {@code rank}; unchanged when it has no more. */
  static float[] truncate(float[] x, int rows, int cols, int rank) {
    if (rank >= Math.min(rows, cols)) {
      return x;
    }
    double[][] a = new double[rows][cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        a[r][c] = x[r * cols + c];
      }
    }
    SingularValueDecomposition svd = new SingularValueDecomposition(new Array2DRowRealMatrix(a));
    RealMatrix u = svd.getU();
    RealMatrix v = svd.getV();
    double[] s = svd.getSingularValues(); // descending
    float[] out = new float[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        double sum = 0;
        for (int k = 0; k < rank; k++) {
          sum += u.getEntry(r, k) * s[k] * v.getEntry(c, k);
        }
        out[r * cols + c] = (float) sum;
      }
    }
    return out;
  }
}
