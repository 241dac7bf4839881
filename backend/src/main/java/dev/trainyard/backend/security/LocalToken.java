package dev.trainyard.backend.security;

import dev.trainyard.backend.config.TrainyardConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import org.jboss.logging.Logger;

/**
 * Local mode's single user signs in with a random token, printed at start and written (owner-only)
 * to {@code <home>/local-token} for scripts. {@code trainyard.auth.local-token} fixes it (tests).
 */
@ApplicationScoped
public class LocalToken {
  private static final Logger LOG = Logger.getLogger(LocalToken.class);

  @Inject TrainyardConfig config;

  private volatile String token;

  void onStart(@Observes StartupEvent event) throws IOException {
    // The home holds the token, the database and step files with parameter values: owner only
    // (issue 11, Low). A home created earlier with the umask's 0755 is tightened too.
    Files.createDirectories(config.home());
    if (Files.getFileStore(config.home()).supportsFileAttributeView("posix")) {
      Files.setPosixFilePermissions(config.home(), PosixFilePermissions.fromString("rwx------"));
    }
    if (!config.auth().mode().equals("local")) {
      return;
    }
    token = config.auth().localToken().filter(t -> !t.isBlank()).orElseGet(LocalToken::random);
    Path file = config.home().resolve("local-token");
    Files.createDirectories(config.home());
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, token + "\n");
    LOG.infof(
        "Dashboard token: %s   (also in %s; send it as 'Authorization: Bearer <token>')",
        token, file);
  }

  /**
   * The token, for this process's own requests (the warm-up at start); empty outside local mode.
   */
  public java.util.Optional<String> value() {
    return java.util.Optional.ofNullable(token);
  }

  /** Constant-time comparison, so response timing does not reveal the token. */
  public boolean matches(String candidate) {
    String expected = token;
    return expected != null
        && candidate != null
        && MessageDigest.isEqual(
            expected.getBytes(StandardCharsets.UTF_8), candidate.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * What the dashboard's HttpOnly session cookie carries: derived from the token, so the cookie is
   * not the token itself (a leaked cookie is not a token for scripts), and changes with it.
   */
  public java.util.Optional<String> sessionValue() {
    String expected = token;
    if (expected == null) {
      return java.util.Optional.empty();
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(("trainyard-session\n" + expected).getBytes(StandardCharsets.UTF_8));
      return java.util.Optional.of(Base64.getUrlEncoder().withoutPadding().encodeToString(digest));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Constant-time comparison of a session cookie's value. */
  public boolean matchesSession(String candidate) {
    String expected = sessionValue().orElse(null);
    return expected != null
        && candidate != null
        && MessageDigest.isEqual(
            expected.getBytes(StandardCharsets.UTF_8), candidate.getBytes(StandardCharsets.UTF_8));
  }

  private static String random() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
