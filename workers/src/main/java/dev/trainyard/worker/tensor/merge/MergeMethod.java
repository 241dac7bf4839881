package dev.trainyard.worker.tensor.merge;

/**
 * One merge method applied to one tensor. Inputs are the decoded tensors, all of one shape; a
 * method may overwrite the model arrays (they are not used again) and returns the merged values.
 */
public interface MergeMethod {
  /**
   * @param name tensor name, for per-pattern parameters and DARE's seed
   * @param base the base model's tensor, {@code null} for methods without a base
   * @param models the other models' tensors, in the order of {@code models:}
   */
  float[] merge(String name, float[] base, float[][] models);
}
