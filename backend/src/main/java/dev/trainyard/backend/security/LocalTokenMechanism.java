package dev.trainyard.backend.security;

import dev.trainyard.backend.config.TrainyardConfig;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Set;

/**
 * Local mode: {@code Authorization: Bearer <local token>} authenticates the single local user as
 * admin, and so does the dashboard's session cookie, which {@code POST /auth/session} sets
 * (HttpOnly, so no script in the page can read it, unlike the token in localStorage before; issue
 * 11, Low).
 */
@ApplicationScoped
public class LocalTokenMechanism implements HttpAuthenticationMechanism {
  /**
   * The dashboard's local-mode session cookie; a change it carries needs the CSRF header
   * (CsrfGuard).
   */
  public static final String SESSION_COOKIE = "trainyard_session";

  @Inject TrainyardConfig config;
  @Inject LocalToken token;

  @Override
  public Uni<SecurityIdentity> authenticate(
      RoutingContext context, IdentityProviderManager identityProviderManager) {
    if (!config.auth().mode().equals("local")) {
      return Uni.createFrom().nullItem();
    }
    String header = context.request().getHeader("Authorization");
    boolean bearer =
        header != null
            && header.regionMatches(true, 0, "Bearer ", 0, 7)
            && token.matches(header.substring(7).trim());
    io.vertx.core.http.Cookie session =
        header == null ? context.request().getCookie(SESSION_COOKIE) : null;
    if (!bearer && (session == null || !token.matchesSession(session.getValue()))) {
      return Uni.createFrom().nullItem();
    }
    return Uni.createFrom()
        .item(
            QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal("local"))
                .addRoles(Set.of(Caller.VIEWER, Caller.OPERATOR, Caller.ADMIN))
                .addAttribute(CallerContext.TEAMS_ATTRIBUTE, Set.of("default"))
                .build());
  }

  @Override
  public Uni<ChallengeData> getChallenge(RoutingContext context) {
    return Uni.createFrom()
        .item(new ChallengeData(401, "WWW-Authenticate", "Bearer realm=\"trainyard\""));
  }

  @Override
  public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
    return Set.of();
  }
}
