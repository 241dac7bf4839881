package dev.trainyard.backend.api;

import java.util.List;

/**
 * An error answered as {@code application/problem+json}: HTTP status, a title, detail, and the
 * problems with their paths ({@code params.base: no checkpoint named 'x'}).
 */
public class ApiProblem extends RuntimeException {
  private final int status;
  private final String title;
  private final List<FieldError> errors;

  public ApiProblem(int status, String title, String detail, List<FieldError> errors) {
    super(detail);
    this.status = status;
    this.title = title;
    this.errors = List.copyOf(errors);
  }

  public static ApiProblem notFound(String what) {
    return new ApiProblem(404, "Not Found", what, List.of());
  }

  public static ApiProblem conflict(String detail) {
    return new ApiProblem(409, "Conflict", detail, List.of());
  }

  public static ApiProblem invalid(List<FieldError> errors) {
    return new ApiProblem(
        422,
        "Invalid input",
        errors.size()
            + " problem(s): "
            + String.join("; ", errors.stream().map(FieldError::toString).toList()),
        errors);
  }

  public static ApiProblem badRequest(String path, String message) {
    return new ApiProblem(
        400, "Bad Request", path + ": " + message, List.of(new FieldError(path, message)));
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  public List<FieldError> errors() {
    return errors;
  }

  public record FieldError(String path, String message) {
    @Override
    public String toString() {
      return path + ": " + message;
    }
  }
}
