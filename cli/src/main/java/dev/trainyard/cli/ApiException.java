package dev.trainyard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/** An answer of the API that is not a success, with every problem path of its problem document. */
final class ApiException extends RuntimeException {
  record FieldError(String path, String message) {}

  final int status;
  final List<FieldError> errors;

  ApiException(int status, String message, List<FieldError> errors) {
    super(message);
    this.status = status;
    this.errors = List.copyOf(errors);
  }

  /** Reads an {@code application/problem+json} body; any other body is shown as it came. */
  static ApiException of(int status, String body, ObjectMapper json) {
    List<FieldError> errors = new ArrayList<>();
    String message;
    try {
      JsonNode problem = json.readTree(body);
      String title = problem.path("title").asText("");
      String detail = problem.path("detail").isTextual() ? problem.path("detail").asText() : "";
      boolean listed = problem.path("errors").size() > 0;
      // With a list of problems the detail only repeats them: the title and one line per path.
      message = listed || detail.isEmpty() || detail.equals(title) ? title : title + ": " + detail;
      if (problem.path("line").isInt()) {
        message +=
            " (line "
                + problem.path("line").asInt()
                + ", column "
                + problem.path("column").asInt()
                + ")";
      }
      for (JsonNode e : problem.path("errors")) {
        errors.add(new FieldError(e.path("path").asText(), e.path("message").asText()));
      }
    } catch (Exception notJson) {
      message = body == null ? "" : body.strip();
    }
    return new ApiException(status, message.isEmpty() ? "HTTP " + status : message, errors);
  }

  /** What the user reads: the status, the message, then one line per problem with its path. */
  String render() {
    StringBuilder out = new StringBuilder("error: ");
    if (status > 0) {
      out.append("HTTP ").append(status).append(": ");
    }
    out.append(getMessage());
    for (FieldError e : errors) {
      out.append("\n  ")
          .append(e.path().isEmpty() ? "(body)" : e.path())
          .append(": ")
          .append(e.message());
    }
    return out.toString();
  }
}
