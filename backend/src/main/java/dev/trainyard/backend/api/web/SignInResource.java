package dev.trainyard.backend.api.web;

import dev.trainyard.backend.config.TrainyardConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * Browser sign-in. {@code /auth/config} tells the dashboard how to sign in (paste the local token,
 * or go to Keycloak); {@code /login} needs an authenticated caller, so in team mode Quarkus OIDC
 * answers it with the authorization-code flow (PKCE) and, once Keycloak sends the browser back with
 * a session cookie, this resource sends it on to the dashboard.
 */
@Path("/")
public class SignInResource {
  static final String SIGN_IN = "/login";

  @Inject TrainyardConfig config;

  /** Team mode also names the paths that sign a browser in and out; local mode has none (null). */
  public record AuthConfig(
      @Schema(enumeration = {"local", "oidc"}) String mode,
      @Schema(nullable = true) String signIn,
      @Schema(nullable = true) String signOut) {}

  @Operation(
      summary = "How browsers sign in",
      description =
          "Local mode: paste the token the server printed. Team mode: the sign-in and sign-out paths (Keycloak).")
  @GET
  @Path("auth/config")
  @Produces(MediaType.APPLICATION_JSON)
  public AuthConfig config() {
    boolean oidc = config.auth().mode().equals("oidc");
    return oidc ? new AuthConfig("oidc", SIGN_IN, "/logout") : new AuthConfig("local", null, null);
  }

  public record SessionBody(String token) {}

  @Inject dev.trainyard.backend.security.LocalToken localToken;

  /**
   * Local mode: trades the printed token for an HttpOnly, SameSite=Strict session cookie, so the
   * dashboard keeps no secret where page scripts can read it. JSON only: a cross-site form cannot
   * send it without a CORS preflight, which this server never grants.
   */
  @Operation(
      summary = "Start a dashboard session",
      description =
          "Local mode: trades the token printed at start for an HttpOnly, SameSite=Strict session cookie.")
  @APIResponse(responseCode = "204", description = "Signed in: the session cookie is set")
  @POST
  @Path("auth/session")
  @Consumes(MediaType.APPLICATION_JSON)
  public Response startSession(SessionBody body) {
    if (!config.auth().mode().equals("local")) {
      return Response.status(404).build();
    }
    if (body == null || !localToken.matches(body.token())) {
      throw new dev.trainyard.backend.api.ApiProblem(
          401,
          "Unauthorized",
          "not the token this server printed at start",
          java.util.List.of(
              new dev.trainyard.backend.api.ApiProblem.FieldError("token", "does not match")));
    }
    return Response.noContent()
        .header("Set-Cookie", sessionCookie(localToken.sessionValue().orElseThrow(), -1))
        .build();
  }

  public record RotatedToken(String token) {}

  /**
   * Local mode: replaces the token (and so every session made with it); the caller's browser gets a
   * session for the new one, so the dashboard that asked stays signed in.
   */
  @Operation(
      summary = "Rotate the local token",
      description =
          "Local mode: a new random token replaces the one kept in <home>/local-token; the old token"
              + " and every session made with it stop working. Answers the new token and a session"
              + " cookie for it.")
  @APIResponse(
      responseCode = "200",
      description = "The new token",
      content = @Content(schema = @Schema(implementation = RotatedToken.class)))
  @APIResponse(responseCode = "404", description = "Not local mode")
  @POST
  @Path("api/v1/auth/token/rotate")
  @Produces(MediaType.APPLICATION_JSON)
  public Response rotateToken() throws java.io.IOException {
    if (!config.auth().mode().equals("local")) {
      throw dev.trainyard.backend.api.ApiProblem.notFound(
          "team mode has no local token: callers sign in with Keycloak");
    }
    String fresh = localToken.rotate();
    return Response.ok(new RotatedToken(fresh))
        .header("Set-Cookie", sessionCookie(localToken.sessionValue().orElseThrow(), -1))
        .build();
  }

  /** Signs the dashboard out: the browser drops the cookie. */
  @Operation(
      summary = "End the dashboard session",
      description = "The browser drops the session cookie.")
  @APIResponse(responseCode = "204", description = "Signed out")
  @DELETE
  @Path("auth/session")
  public Response endSession() {
    return Response.noContent().header("Set-Cookie", sessionCookie("", 0)).build();
  }

  private static String sessionCookie(String value, int maxAgeSeconds) {
    return dev.trainyard.backend.security.LocalTokenMechanism.SESSION_COOKIE
        + "="
        + value
        + "; Path=/; HttpOnly; SameSite=Strict"
        + (maxAgeSeconds >= 0 ? "; Max-Age=" + maxAgeSeconds : "");
  }

  @Operation(
      summary = "Browser sign-in",
      description =
          "Team mode: Quarkus OIDC sends the browser through Keycloak; once signed in it is sent on to the dashboard.")
  @APIResponse(responseCode = "303", description = "Signed in: on to the dashboard")
  @GET
  @Path("login")
  public Response signedIn() {
    return Response.seeOther(URI.create("/")).build();
  }
}
