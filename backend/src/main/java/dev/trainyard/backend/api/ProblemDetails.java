package dev.trainyard.backend.api;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The body of every error the API answers ({@code application/problem+json}, RFC 9457): a title, the
 * HTTP status, a human-readable detail, and each problem with the path of the input it concerns.
 */
public record ProblemDetails(String type, String title, int status, @Schema(nullable = true) String detail,
    List<ApiProblem.FieldError> errors) {
  public static ProblemDetails of(int status, String title, String detail, List<ApiProblem.FieldError> errors) {
    return new ProblemDetails("about:blank", title, status, detail, List.copyOf(errors));
  }
}
