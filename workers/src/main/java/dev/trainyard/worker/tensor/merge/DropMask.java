package dev.trainyard.worker.tensor.merge;

/**
 * DARE's random drop, as a counter-based generator: whether element {@code i} of model {@code m}'s
 * tensor survives depends only on (seed, model, tensor name, i). A merge is therefore reproducible
 * from its seed whatever the thread count or processing order — which a stream of Bernoulli draws
 * is not.
 */
public final class DropMask {
  private final long key;
  private final double density;

  public DropMask(long seed, int model, String tensorName, double density) {
    this.key =
        mix(
            mix(seed ^ 0x9E3779B97F4A7C15L * (model + 1))
                ^ tensorName.hashCode() * 0xC2B2AE3D27D4EB4FL);
    this.density = density;
  }

  /** Uniform in [0, 1) for element {@code i}. */
  public double uniform(long i) {
    return (mix(key + i * 0x9E3779B97F4A7C15L) >>> 11) * 0x1.0p-53;
  }

  public boolean keep(long i) {
    return uniform(i) < density;
  }

  /** SplitMix64's finaliser. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
