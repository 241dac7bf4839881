package dev.trainyard.backend.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.trainyard.backend.common.Refusal;
import dev.trainyard.pipeline.validate.InvalidSpecException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error the API answers is {@code application/problem+json}; mapped here, in one place. */
public class ProblemMappers {
  public static final String PROBLEM_JSON = "application/problem+json";

  @ServerExceptionMapper
  public Response apiProblem(ApiProblem problem) {
    return problem(problem.status(), problem.title(), problem.getMessage(), problem.errors());
  }

  @ServerExceptionMapper
  public Response invalidSpec(InvalidSpecException e) {
    List<ApiProblem.FieldError> errors =
        e.problems().stream().map(p -> new ApiProblem.FieldError(p.path(), p.message())).toList();
    return apiProblem(ApiProblem.invalid(errors));
  }

  @ServerExceptionMapper
  public Response invalidRequest(Refusal.Invalid e) {
    List<ApiProblem.FieldError> errors =
        e.problems().stream().map(p -> new ApiProblem.FieldError(p.path(), p.message())).toList();
    return apiProblem(ApiProblem.invalid(errors));
  }

  @ServerExceptionMapper
  public Response notFound(Refusal.NotFound e) {
    return apiProblem(ApiProblem.notFound(e.getMessage()));
  }

  @ServerExceptionMapper
  public Response badJson(JsonProcessingException e) {
    BadJson bad = BadJson.of(e);
    return problem(
        400,
        "Malformed JSON",
        bad.detail(),
        List.of(new ApiProblem.FieldError(bad.path(), bad.message())),
        bad.line(),
        bad.column());
  }

  // Quarkus ships mappers for these subtypes; more specific ones win, so name them too.
  @ServerExceptionMapper
  public Response badJsonSyntax(JsonParseException e) {
    return badJson(e);
  }

  @ServerExceptionMapper
  public Response badJsonShape(MismatchedInputException e) {
    return badJson(e);
  }

  /** E.g. a key given twice in a body bound to a record: the client's JSON, not our bug. */
  @ServerExceptionMapper
  public Response badJsonDefinition(
      com.fasterxml.jackson.databind.exc.InvalidDefinitionException e) {
    return badJson(e);
  }

  /** The catalog is briefly unreachable (PostgreSQL restarting): say so, and when to come back. */
  @ServerExceptionMapper
  public Response catalogUnavailable(org.hibernate.exception.JDBCConnectionException e) {
    return problem(
        503,
        "Service Unavailable",
        "the catalog database is unreachable; retry shortly",
        List.of());
  }

  /**
   * Object storage (the S3 store, or an {@code s3://} dataset source) did not answer or failed: the
   * request was fine, so neither a 4xx nor a bare 500. Nothing was registered (staging is removed).
   */
  @ServerExceptionMapper
  public Response objectStorageUnreachable(
      software.amazon.awssdk.core.exception.SdkClientException e) {
    return problem(
        503, "Service Unavailable", "object storage is unreachable; retry shortly", List.of());
  }

  @ServerExceptionMapper
  public Response objectStorageFailed(
      software.amazon.awssdk.awscore.exception.AwsServiceException e) {
    return problem(
        502,
        "Bad Gateway",
        "object storage answered "
            + e.statusCode()
            + (e.awsErrorDetails() == null ? "" : " (" + e.awsErrorDetails().errorCode() + ")"),
        List.of());
  }

  @ServerExceptionMapper
  public Response persistence(jakarta.persistence.PersistenceException e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      // 08xxx: connection failures; 57P0x: the server is shutting down, restarting or starting up.
      if (cause instanceof java.sql.SQLException sql
          && sql.getSQLState() != null
          && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P0"))) {
        return catalogUnavailable(null);
      }
      if (cause instanceof org.hibernate.exception.JDBCConnectionException
          || cause instanceof java.net.ConnectException) {
        return catalogUnavailable(null);
      }
      // Class 22, data exceptions: the client's text cannot be stored as given (e.g. a NUL
      // character).
      // The transaction rolled back, so nothing was written.
      if (cause instanceof java.sql.SQLException sql
          && sql.getSQLState() != null
          && sql.getSQLState().startsWith("22")) {
        // The database's own text is not echoed: it describes the schema and the server, not the
        // request.
        return problem(
            400,
            "Bad Request",
            "a value cannot be stored",
            List.of(
                new ApiProblem.FieldError(
                    "$", "contains characters or values the catalog cannot store (e.g. NUL)")));
      }
    }
    throw e;
  }

  @ServerExceptionMapper
  public Response webApplication(WebApplicationException e) {
    // Quarkus wraps a syntax error in the body as a plain 400; its cause says where.
    if (e.getCause() instanceof JsonProcessingException json) {
      return badJson(json);
    }
    int status = e.getResponse().getStatus();
    return problem(
        status, e.getResponse().getStatusInfo().getReasonPhrase(), e.getMessage(), List.of());
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  static Response problem(
      int status, String title, String detail, List<ApiProblem.FieldError> errors) {
    return problem(status, title, detail, errors, null, null);
  }

  static Response problem(
      int status,
      String title,
      String detail,
      List<ApiProblem.FieldError> errors,
      Integer line,
      Integer column) {
    String text;
    try {
      // Serialised here: an object entity would be re-negotiated to application/json by the writer.
      text =
          JSON.writeValueAsString(
              new ProblemDetails(
                  "about:blank", title, status, detail, List.copyOf(errors), line, column));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    Response.ResponseBuilder response = Response.status(status).type(PROBLEM_JSON).entity(text);
    if (status == 503) {
      response.header("Retry-After", "5");
    }
    return response.build();
  }
}
