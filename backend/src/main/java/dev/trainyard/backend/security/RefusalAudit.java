package dev.trainyard.backend.security;

import dev.trainyard.backend.audit.AuditFilters;
import dev.trainyard.backend.audit.AuditLog;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Audits the refusals answered by HTTP filters before authentication (CSRF, Host), like every other
 * answer to a change (issue 11 M5). The actor is anonymous, the target the raw path, and the digest
 * says the body was not read (the refusal comes first).
 */
@ApplicationScoped
public class RefusalAudit {
  static final String BODY_NOT_READ = "not-read";

  @Inject AuditLog log;

  /**
   * Records a refused change to the API; reads (GET, HEAD, OPTIONS) and other paths are not
   * audited, as elsewhere.
   */
  void record(RoutingContext rc, int status) {
    String method = rc.request().method().name();
    if (method.equals("GET")
        || method.equals("HEAD")
        || method.equals("OPTIONS")
        || !rc.normalizedPath().startsWith("/api/")) {
      return;
    }
    String requestId = AuditFilters.requestIdOf(rc.request().getHeader("X-Request-Id"));
    rc.response().putHeader("X-Request-Id", requestId);
    String target = AuditFilters.rawPath(rc.request().path());
    String client =
        rc.request().remoteAddress() == null ? null : rc.request().remoteAddress().hostAddress();
    // The event loop must not block on the database.
    io.smallrye.mutiny.infrastructure.Infrastructure.getDefaultWorkerPool()
        .execute(
            () -> {
              try {
                log.append(
                    "anonymous",
                    "",
                    "",
                    method + " " + target,
                    target,
                    status,
                    client,
                    requestId,
                    BODY_NOT_READ);
              } catch (RuntimeException e) {
                org.jboss.logging.Logger.getLogger(RefusalAudit.class)
                    .errorf(e, "audit event for refused %s %s not recorded", method, target);
              }
            });
  }
}
