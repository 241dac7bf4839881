package dev.trainyard.backend.security;

import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import java.util.Collection;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * The caller of the current request, from its security identity (local token or Keycloak token).
 */
@RequestScoped
public class CallerContext {
  /** Identity attribute carrying teams for identities that are not JWTs (local mode). */
  public static final String TEAMS_ATTRIBUTE = "trainyard.teams";

  @Inject SecurityIdentity identity;

  private Caller caller;

  public Caller caller() {
    if (caller == null) {
      caller =
          identity.isAnonymous()
              ? new Caller("anonymous", Set.of(), Set.of())
              : new Caller(name(), identity.getRoles(), teams());
    }
    return caller;
  }

  private String name() {
    if (identity.getPrincipal() instanceof JsonWebToken jwt) {
      String username = jwt.getClaim("preferred_username");
      if (username != null) {
        return username;
      }
    }
    return identity.getPrincipal().getName();
  }

  private Set<String> teams() {
    Object local = identity.getAttribute(TEAMS_ATTRIBUTE);
    if (local instanceof Collection<?> names) {
      return names.stream().map(String::valueOf).collect(Collectors.toSet());
    }
    if (identity.getPrincipal() instanceof JsonWebToken jwt && jwt.getGroups() != null) {
      // Keycloak sends group paths ("/team-a") unless told otherwise: keep the last segment.
      return jwt.getGroups().stream()
          .map(g -> g.substring(g.lastIndexOf('/') + 1))
          .collect(Collectors.toSet());
    }
    return Set.of();
  }
}
