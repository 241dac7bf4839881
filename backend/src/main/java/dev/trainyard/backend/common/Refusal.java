package dev.trainyard.backend.common;

import java.util.List;

/**
 * Why a service refused a request, without the service knowing HTTP: the API maps {@link Invalid}
 * to 422 with every problem's path and {@link NotFound} to 404 (api/ProblemMappers), so services
 * below the API never throw its types.
 */
public abstract sealed class Refusal extends RuntimeException {
  private Refusal(String message) {
    super(message);
  }

  /** One problem of a request, at the path of the field it is about ({@code match.alias}). */
  public record Problem(String path, String message) {}

  /** The request has these problems; nothing was changed. */
  public static final class Invalid extends Refusal {
    private final List<Problem> problems;

    public Invalid(List<Problem> problems) {
      super(problems.toString());
      this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
      return problems;
    }
  }

  /** No such thing among the caller's teams (another team's things are not found either). */
  public static final class NotFound extends Refusal {
    public NotFound(String message) {
      super(message);
    }
  }
}
