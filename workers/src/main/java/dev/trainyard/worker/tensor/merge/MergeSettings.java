package dev.trainyard.worker.tensor.merge;

import java.util.List;

/**
 * Parameters of a merge after parsing: per model (weight, density, gamma) and global, each
 * resolvable per tensor name. Defaults follow mergekit.
 */
public record MergeSettings(
    List<ModelParams> models,
    Param lambda,
    Boolean normalize,
    Boolean rescale,
    Param t,
    long seed,
    String variant) {

  /** Parameters given on one entry of {@code models:}. */
  public record ModelParams(Param weight, Param density, Param gamma) {
    public double weight(String tensor) {
      return weight == null ? 1.0 : weight.valueFor(tensor, 1.0);
    }

    public double density(String tensor) {
      return density == null ? 1.0 : density.valueFor(tensor, 1.0);
    }

    public double gamma(String tensor) {
      return gamma == null ? 0.01 : gamma.valueFor(tensor, 0.01);
    }
  }

  public MergeSettings {
    models = List.copyOf(models);
  }

  public double lambda(String tensor) {
    return lambda == null ? 1.0 : lambda.valueFor(tensor, 1.0);
  }

  public boolean normalize(boolean methodDefault) {
    return normalize == null ? methodDefault : normalize;
  }

  public boolean rescale(boolean methodDefault) {
    return rescale == null ? methodDefault : rescale;
  }
}
