package dev.trainyard.worker.tensor;

import java.util.List;

/**
 * An input checkpoint the step cannot use as it is (wrong family, missing tensors): the input's
 * fault, so the step fails as {@code InvalidInput} and is not retried. Raised before any output is
 * written.
 */
public final class InvalidCheckpointException extends IllegalArgumentException {
  private final List<String> problems;

  public InvalidCheckpointException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
