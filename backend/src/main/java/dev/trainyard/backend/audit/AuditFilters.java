package dev.trainyard.backend.audit;

import dev.trainyard.backend.security.Caller;
import dev.trainyard.backend.security.CallerContext;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.TreeSet;
import java.util.UUID;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Records every mutating API request — allowed or refused — in the audit log: who (name, roles,
 * teams), what (method and route), which target, the answer's status, from where, the request id
 * and a sha256 of the body (hashed while the body is read, never stored).
 */
public class AuditFilters {
  static final String DIGEST = "trainyard.audit.digest";
  static final String REQUEST_ID = "trainyard.audit.requestId";
  private static final String EMPTY_SHA256 =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  @Inject AuditLog log;
  @Inject CallerContext callers;
  @Inject AuditRequest current;

  @ServerRequestFilter(priority = 1)
  public void assignRequestId(ContainerRequestContext request, HttpServerRequest http) {
    String id = requestIdOf(request.getHeaderString("X-Request-Id"));
    request.setProperty(REQUEST_ID, id);
    current.set(id, http.remoteAddress() == null ? null : http.remoteAddress().hostAddress());
  }

  @ServerResponseFilter
  public void record(
      ContainerRequestContext request,
      ContainerResponseContext response,
      HttpServerRequest http,
      ResourceInfo resource) {
    // A request no route matched skips the request filters: take the client's id here too.
    String requestId =
        request.getProperty(REQUEST_ID) instanceof String id
            ? id
            : requestIdOf(request.getHeaderString("X-Request-Id"));
    if (requestId != null) {
      response.getHeaders().putSingle("X-Request-Id", requestId);
    }
    String method = request.getMethod();
    String path = "/" + request.getUriInfo().getPath().replaceAll("^/+", "");
    if (method.equals("GET")
        || method.equals("HEAD")
        || method.equals("OPTIONS")
        || !path.startsWith("/api/")) {
      return;
    }
    // The target is the path as sent (still percent-encoded): decoded, "%00" is a NUL the database
    // refuses (a 500 with no audit row) and "a%2Fb" reads as two segments.
    String raw = rawPath(http.path());
    Caller caller = callers.caller();
    String digest = request.getProperty(DIGEST) instanceof String d ? d : EMPTY_SHA256;
    if (resource != null
        && resource.getResourceMethod() != null
        && resource.getResourceMethod().isAnnotationPresent(NotAChange.class)) {
      return;
    }
    Runnable append =
        () ->
            log.append(
                caller.name(),
                String.join(",", new TreeSet<>(caller.roles())),
                String.join(",", new TreeSet<>(caller.teams())),
                method + " " + route(resource, raw),
                raw,
                response.getStatus(),
                http.remoteAddress() == null ? null : http.remoteAddress().hostAddress(),
                requestId,
                digest);
    if (io.vertx.core.Context.isOnEventLoopThread()) {
      // A request no route matched is answered on the I/O thread, where the database must not be
      // used.
      io.smallrye.mutiny.infrastructure.Infrastructure.getDefaultWorkerPool()
          .execute(
              () -> {
                try {
                  append.run();
                } catch (RuntimeException e) {
                  // Off the request thread nobody else would see it: an audit row that failed must
                  // be logged.
                  org.jboss.logging.Logger.getLogger(AuditFilters.class)
                      .errorf(e, "audit event for %s %s not recorded", method, path);
                }
              });
    } else {
      append.run();
    }
  }

  /** The client's X-Request-Id when it is a plain token, else a new one. */
  public static String requestIdOf(String given) {
    return given != null && given.matches("[A-Za-z0-9._-]{1,100}")
        ? given
        : UUID.randomUUID().toString();
  }

  /**
   * The request path as received, with any control or non-ASCII character percent-encoded so it can
   * be stored.
   */
  public static String rawPath(String received) {
    if (received == null) {
      return "/";
    }
    StringBuilder out = new StringBuilder(received.length());
    for (byte b : received.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c < 0x20 || c >= 0x7f) {
        out.append('%').append(String.format("%02X", c));
      } else {
        out.append((char) c);
      }
    }
    return out.length() > 2000 ? out.substring(0, 2000) : out.toString();
  }

  /**
   * The route template ("/api/v1/runs/{id}/cancel") groups events by action; the path is the
   * target.
   */
  private static String route(ResourceInfo resource, String path) {
    if (resource == null
        || resource.getResourceClass() == null
        || resource.getResourceMethod() == null) {
      return path;
    }
    jakarta.ws.rs.Path type = resource.getResourceClass().getAnnotation(jakarta.ws.rs.Path.class);
    jakarta.ws.rs.Path method =
        resource.getResourceMethod().getAnnotation(jakarta.ws.rs.Path.class);
    return (type == null ? "" : type.value()) + (method == null ? "" : method.value());
  }

  /** Hashes the request body as the resource reads it. */
  @Provider
  public static class BodyDigest implements ReaderInterceptor {
    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
      // Bodies are small (the HTTP layer caps them), so read once, hash, and hand the bytes on.
      byte[] body = context.getInputStream().readAllBytes();
      try {
        context.setProperty(
            DIGEST, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      context.setInputStream(new java.io.ByteArrayInputStream(body));
      return context.proceed();
    }
  }
}
