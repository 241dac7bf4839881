package dev.trainyard.worker.store;

import dev.trainyard.workflow.ManifestEntry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The canonical manifest of a directory: what an artifact id is the hash of. Every store computes
 * it the same way, so ids agree across stores and languages.
 */
public final class Manifests {
  private static final int BUFFER_BYTES = 1 << 20;

  private Manifests() {}

  /**
   * Hashes every regular file under {@code dir}, streamed; entries are sorted by relative path
   * ({@code /}-separated) in code-point order. Symbolic links and other special files are refused:
   * an artifact's content must not depend on something outside it.
   */
  public static List<ManifestEntry> hashTree(Path dir) throws IOException {
    List<ManifestEntry> entries = new ArrayList<>();
    for (TreeFile f : listTree(dir)) {
      entries.add(new ManifestEntry(f.path(), f.sizeBytes(), sha256(f.file())));
    }
    return List.copyOf(entries);
  }

  /** A regular file of a tree: its manifest path, where it is, and its size. */
  public record TreeFile(String path, Path file, long sizeBytes) {}

  /**
   * The files {@link #hashTree} would hash, in manifest order, checked the same way, without
   * reading them: for stores that hash while they upload.
   */
  public static List<TreeFile> listTree(Path dir) throws IOException {
    List<TreeFile> files = new ArrayList<>();
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            String relative = relativePath(dir, file);
            if (!attrs.isRegularFile()) {
              throw new InvalidArtifactException(
                  "artifact file '"
                      + relative
                      + "' is not a regular file (symbolic links are not stored)");
            }
            if (relative.indexOf('\n') >= 0 || relative.indexOf('\r') >= 0) {
              throw new InvalidArtifactException(
                  "artifact file name contains a line break: " + relative.replace("\n", "\\n"));
            }
            files.add(new TreeFile(relative, file, attrs.size()));
            return FileVisitResult.CONTINUE;
          }
        });
    files.sort((a, b) -> compareCodePoints(a.path(), b.path()));
    return List.copyOf(files);
  }

  /**
   * Parses {@link #canonicalText} back into entries; null if the text is not a canonical manifest.
   */
  public static List<ManifestEntry> parse(String text) {
    List<ManifestEntry> entries = new ArrayList<>();
    if (text.isEmpty()) {
      return List.of();
    }
    if (!text.endsWith("\n")) {
      return null;
    }
    for (String line : text.substring(0, text.length() - 1).split("\n", -1)) {
      String[] parts = line.split("  ", 3);
      if (parts.length != 3 || !isArtifactId(parts[0]) || !parts[1].matches("[0-9]{1,19}")) {
        return null;
      }
      entries.add(new ManifestEntry(parts[2], Long.parseLong(parts[1]), parts[0]));
    }
    return canonicalText(entries).equals(text) ? List.copyOf(entries) : null;
  }

  /** One line per file: {@code <sha256> <size> <path>\n}, in the order given (sorted by path). */
  public static String canonicalText(List<ManifestEntry> entries) {
    StringBuilder text = new StringBuilder();
    for (ManifestEntry e : entries) {
      text.append(e.sha256())
          .append("  ")
          .append(e.sizeBytes())
          .append("  ")
          .append(e.path())
          .append('\n');
    }
    return text.toString();
  }

  /** The artifact id of a manifest: sha256 (hex) of its canonical text in UTF-8. */
  public static String idOf(List<ManifestEntry> entries) {
    MessageDigest digest = newSha256();
    return HexFormat.of()
        .formatHex(digest.digest(canonicalText(entries).getBytes(StandardCharsets.UTF_8)));
  }

  public static String sha256(Path file) throws IOException {
    MessageDigest digest = newSha256();
    byte[] buffer = new byte[BUFFER_BYTES];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  public static boolean isArtifactId(String id) {
    return id != null && id.matches("[0-9a-f]{64}");
  }

  private static String relativePath(Path dir, Path file) {
    StringBuilder path = new StringBuilder();
    for (Path part : dir.relativize(file)) {
      if (!path.isEmpty()) {
        path.append('/');
      }
      path.append(part);
    }
    return path.toString();
  }

  // UTF-8 byte order equals code-point order; String.compareTo (UTF-16 units) differs above U+FFFF.
  private static int compareCodePoints(String a, String b) {
    return java.util.Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
