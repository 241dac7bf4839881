package dev.trainyard.backend.security;

import dev.trainyard.backend.api.ApiProblem;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The one place that decides which role may call which endpoint. Every API request passes here; the
 * first rule whose method and path match decides, and a request matching no rule is refused.
 * Cross-site request forgery is stopped earlier, by {@link CsrfGuard}. Team scoping (seeing only
 * your teams' runs, templates and artifacts) is enforced by {@link TeamScope} in the services,
 * since it depends on the row.
 */
public class AccessRules {
  private static final Set<String> READERS = Set.of(Caller.VIEWER, Caller.OPERATOR, Caller.ADMIN);
  private static final Set<String> OPERATORS = Set.of(Caller.OPERATOR, Caller.ADMIN);
  private static final Set<String> ADMINS = Set.of(Caller.ADMIN);

  record Rule(String method, Pattern path, Set<String> roles) {
    Rule(String method, String path, Set<String> roles) {
      this(method, Pattern.compile(path), roles);
    }

    boolean matches(String requestMethod, String requestPath) {
      return (method.equals("*") || method.equals(requestMethod))
          && path.matcher(requestPath).matches();
    }
  }

  static final List<Rule> RULES =
      List.of(
          new Rule("GET", "/api/v1/audit(/.*)?", ADMINS),
          new Rule("POST", "/api/v1/auth/token/rotate", ADMINS),
          new Rule("GET", "/api/v1/.*", READERS),
          new Rule("POST", "/api/v1/templates/[^/]+/versions/[0-9]+/approve", ADMINS),
          new Rule("PUT", "/api/v1/templates/[^/]+/retention", ADMINS),
          new Rule("POST", "/api/v1/templates/[^/]+/retention/apply", ADMINS),
          new Rule("POST", "/api/v1/templates(/[^/]+/versions|/validate)?", OPERATORS),
          new Rule("*", "/api/v1/templates/[^/]+/schedules(/[^/]+(/pause|/resume)?)?", OPERATORS),
          new Rule("POST", "/api/v1/runs(/[^/]+/(cancel|retry|steps/[^/]+/approve))?", OPERATORS),
          new Rule("POST", "/api/v1/datasets(/upload)?", OPERATORS),
          new Rule("POST", "/api/v1/checkpoints/import(/upload)?", OPERATORS),
          new Rule("PUT", "/api/v1/aliases/[^/]+", ADMINS),
          new Rule("POST", "/api/v1/artifacts/[^/]+/model-card", OPERATORS),
          new Rule("POST", "/api/v1/webhooks(/[^/]+/deliveries/[0-9]+/redeliver)?", OPERATORS),
          new Rule("DELETE", "/api/v1/webhooks/[^/]+", OPERATORS),
          new Rule("POST", "/api/v1/templates/[^/]+/triggers", OPERATORS),
          new Rule("DELETE", "/api/v1/templates/[^/]+/triggers/[^/]+", OPERATORS));

  @Inject CallerContext callers;

  @ServerRequestFilter
  public void authorize(ContainerRequestContext request) {
    String path = "/" + request.getUriInfo().getPath().replaceAll("^/+", "");
    if (!path.startsWith("/api/")) {
      return;
    }
    String method = request.getMethod();
    Caller caller = callers.caller();
    if (caller.roles().isEmpty() && caller.name().equals("anonymous")) {
      throw new ApiProblem(
          401, "Unauthorized", "sign in: send 'Authorization: Bearer <token>'", List.of());
    }
    Rule rule = RULES.stream().filter(r -> r.matches(method, path)).findFirst().orElse(null);
    if (rule == null || rule.roles().stream().noneMatch(caller::has)) {
      throw new ApiProblem(
          403,
          "Forbidden",
          caller.name()
              + " (roles "
              + caller.roles()
              + ") may not "
              + method
              + " "
              + path
              + (rule == null ? "" : "; it needs one of " + rule.roles()),
          List.of());
    }
  }
}
