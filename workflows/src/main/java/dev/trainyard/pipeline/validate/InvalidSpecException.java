package dev.trainyard.pipeline.validate;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown with every problem found, so a user fixes them all in one round. */
public final class InvalidSpecException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  @SuppressWarnings("serial") // an immutable List.copyOf of records: serialisable in practice
  private final List<Problem> problems;

  public InvalidSpecException(List<Problem> problems) {
    super(problems.stream().map(Problem::toString).collect(Collectors.joining("; ")));
    this.problems = List.copyOf(problems);
  }

  public List<Problem> problems() {
    return problems;
  }
}
