package dev.trainyard.backend.common;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Owner-only files for secrets kept in the home: a 0700 directory, 0600 files created with that
 * mode from the start (never written first and narrowed after) and replaced atomically.
 */
public final class SecretFiles {
  private static final SecureRandom RANDOM = new SecureRandom();

  private SecretFiles() {}

  /** Creates {@code dir} (and parents) and makes it 0700, also when it already existed wider. */
  public static Path privateDirectory(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    return dir;
  }

  /**
   * Writes {@code content} to {@code file} as 0600 (a temp file beside it, then an atomic move).
   */
  public static void write(Path file, String content) throws IOException {
    Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.deleteIfExists(temp);
    Files.createFile(
        temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(temp, content, StandardCharsets.UTF_8);
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** A new random secret: {@code bytes} from SecureRandom, URL-safe base64 without padding. */
  public static String randomSecret(int bytes) {
    byte[] raw = new byte[bytes];
    RANDOM.nextBytes(raw);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
  }

  /**
   * Reads {@code file}, first creating it (0600, in a 0700 directory) with a new 32-byte secret if
   * it is absent.
   */
  public static String readOrCreate(Path file) throws IOException {
    if (!Files.isDirectory(file.getParent())) {
      privateDirectory(file.getParent()); // an existing directory (a mounted secret) keeps its mode
    }
    if (!Files.exists(file)) {
      try {
        Path temp = file.resolveSibling("." + file.getFileName() + ".new");
        Files.deleteIfExists(temp);
        Files.createFile(
            temp,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(temp, randomSecret(32) + "\n", StandardCharsets.UTF_8);
        try {
          // link() never replaces: two processes starting at once keep whichever secret landed
          // first.
          Files.createLink(file, temp);
        } finally {
          Files.delete(temp);
        }
      } catch (FileAlreadyExistsException raced) {
        // the other one's secret stands
      }
    }
    return Files.readString(file, StandardCharsets.UTF_8).strip();
  }
}
