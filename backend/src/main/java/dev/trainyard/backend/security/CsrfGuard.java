package dev.trainyard.backend.security;

import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Browsers attach session cookies to cross-site requests but cannot add a custom header to them. So
 * a change to the API carried by a session cookie (team mode's browser sign-in, local mode's
 * dashboard session) must also carry {@code X-Trainyard-CSRF: 1}, which the dashboard always sends.
 * Bearer-token calls are not affected. Runs before authentication, so a forged request is refused
 * before anything else.
 */
@ApplicationScoped
public class CsrfGuard {
  static final String HEADER = "X-Trainyard-CSRF";

  void register(@Observes Filters filters) {
    filters.register(
        rc -> {
          String method = rc.request().method().name();
          boolean change =
              !method.equals("GET") && !method.equals("HEAD") && !method.equals("OPTIONS");
          String authorization = rc.request().getHeader("Authorization");
          // Quarkus splits a large session into q_session_chunk_1, _2, … (and suffixes other
          // tenants'): any counts.
          boolean cookieSession =
              (authorization == null || authorization.isBlank())
                  && rc.request().cookies().stream()
                      .anyMatch(
                          c ->
                              c.getName().startsWith("q_session")
                                  || c.getName().equals(LocalTokenMechanism.SESSION_COOKIE));
          if (change
              && cookieSession
              && rc.normalizedPath().startsWith("/api/")
              && !"1".equals(rc.request().getHeader(HEADER))) {
            refusals.record(rc, 403);
            rc.response()
                .setStatusCode(403)
                .putHeader("Content-Type", "application/problem+json")
                .end(
                    "{\"type\":\"about:blank\",\"title\":\"Forbidden\",\"status\":403,"
                        + "\"detail\":\"a cookie-authenticated change needs the header "
                        + HEADER
                        + ": 1\",\"errors\":[]}");
            return;
          }
          rc.next();
        },
        10_000);
  }

  @jakarta.inject.Inject RefusalAudit refusals;
}
