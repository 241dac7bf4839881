package dev.trainyard.backend.api.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.trainyard.backend.config.TrainyardConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;

/**
 * Browser sign-in. {@code /auth/config} tells the dashboard how to sign in (paste the local token, or
 * go to Keycloak); {@code /login} needs an authenticated caller, so in team mode Quarkus OIDC answers it
 * with the authorization-code flow (PKCE) and, once Keycloak sends the browser back with a session
 * cookie, this resource sends it on to the dashboard.
 */
@Path("/")
public class SignInResource {
  static final String SIGN_IN = "/login";

  @Inject TrainyardConfig config;

  /** Local mode answers only {@code mode}; team mode also the paths that sign a browser in and out. */
  public record AuthConfig(String mode, @JsonInclude(JsonInclude.Include.NON_NULL) String signIn,
      @JsonInclude(JsonInclude.Include.NON_NULL) String signOut) {}

  @GET
  @Path("auth/config")
  @Produces(MediaType.APPLICATION_JSON)
  public AuthConfig config() {
    boolean oidc = config.auth().mode().equals("oidc");
    return oidc ? new AuthConfig("oidc", SIGN_IN, "/logout") : new AuthConfig("local", null, null);
  }

  @GET
  @Path("login")
  public Response signedIn() {
    return Response.seeOther(URI.create("/")).build();
  }
}
