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
 * Local mode's single user signs in with a random token, printed at start and kept (owner-only) in
 * {@code <home>/local-token}: the next start reads it back, so saved scripts and browser sessions
 * survive a restart. {@link #rotate()} (POST /api/v1/auth/token/rotate) replaces it, which also
 * ends every session made with the old one. {@code trainyard.auth.local-token} fixes it (tests).
 */
@ApplicationScoped
public class LocalToken {
  private static final Logger LOG = Logger.getLogger(LocalToken.class);

  /** What {@link #random()} makes: 24 random bytes, base64url without padding. */
  private static final java.util.regex.Pattern SHAPE =
      java.util.regex.Pattern.compile("[A-Za-z0-9_-]{32}");

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
    Path file = file();
    java.util.Optional<String> fixed = config.auth().localToken().filter(t -> !t.isBlank());
    java.util.Optional<String> kept = fixed.isPresent() ? java.util.Optional.empty() : kept(file);
    token = fixed.or(() -> kept).orElseGet(LocalToken::random);
    if (kept.isEmpty()) {
      write(file, token);
    }
    LOG.infof(
        "Dashboard token: %s   (%s %s; send it as 'Authorization: Bearer <token>')",
        token, kept.isPresent() ? "kept from the last start in" : "also in", file);
  }

  /**
   * A new random token replaces the current one, in memory and in the file; the old token and the
   * sessions made with it stop working at once.
   */
  public synchronized String rotate() throws IOException {
    if (token == null) {
      throw new IllegalStateException("no local token outside local mode");
    }
    String fresh = random();
    write(file(), fresh);
    token = fresh;
    LOG.infof("Dashboard token rotated; the new one is in %s", file());
    return fresh;
  }

  private Path file() {
    return config.home().resolve("local-token");
  }

  /**
   * The token of the last start, if the file holds one made by this class and only its owner can
   * read it; anything else (a file others may read, or edited by hand) is replaced.
   */
  static java.util.Optional<String> kept(Path file) throws IOException {
    if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return java.util.Optional.empty();
    }
    if (Files.getFileStore(file).supportsFileAttributeView("posix")
        && !Files.getPosixFilePermissions(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)
            .equals(PosixFilePermissions.fromString("rw-------"))) {
      LOG.warnf("%s could be read by others: a new token replaces it", file);
      return java.util.Optional.empty();
    }
    String text = Files.readString(file).trim();
    return SHAPE.matcher(text).matches() ? java.util.Optional.of(text) : java.util.Optional.empty();
  }

  /** Written owner-only to a new file that replaces the old one in one rename. */
  static void write(Path file, String value) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".new");
    Files.deleteIfExists(tmp);
    Files.createFile(
        tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, value + "\n");
    Files.move(
        tmp,
        file,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
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

  static String random() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
