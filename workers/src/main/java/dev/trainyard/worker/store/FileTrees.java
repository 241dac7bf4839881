package dev.trainyard.worker.store;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Permission and deletion helpers for directory trees that may have been made read-only. */
public final class FileTrees {
  private static final Set<PosixFilePermission> READ_ONLY_FILE =
      PosixFilePermissions.fromString("r--r--r--");
  private static final Set<PosixFilePermission> READ_ONLY_DIR =
      PosixFilePermissions.fromString("r-xr-xr-x");
  private static final Set<PosixFilePermission> WRITABLE_DIR =
      PosixFilePermissions.fromString("rwxr-xr-x");

  private FileTrees() {}

  /**
   * Makes every file and directory below {@code dir} read-only; {@code dir} itself too if asked.
   */
  public static void makeReadOnly(Path dir, boolean includingRoot) throws IOException {
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (attrs.isRegularFile()) {
              Files.setPosixFilePermissions(file, READ_ONLY_FILE);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            if (includingRoot || !d.equals(dir)) {
              Files.setPosixFilePermissions(d, READ_ONLY_DIR);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /**
   * Replaces every regular file below {@code dir} that has other hard links by a copy of its own. A
   * step can hard-link a file from anywhere on the volume into its output; storing that inode would
   * let the store's chmod change the outside file, and the outside file's owner change the
   * artifact.
   */
  public static void unshareHardLinks(Path dir) throws IOException {
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (attrs.isRegularFile()
                && ((Number) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS))
                        .intValue()
                    > 1) {
              Path copy = Files.createTempFile(file.getParent(), ".unlink-", "");
              Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
              Files.move(
                  copy, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /** Deletes a tree, first making its directories writable again. Missing paths are fine. */
  public static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        path,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            Files.setPosixFilePermissions(d, WRITABLE_DIR);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.deleteIfExists(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /**
   * Like {@link #deleteRecursively} but never throws: for clean-up on a path that already failed.
   */
  public static void deleteQuietly(Path path) {
    try {
      deleteRecursively(path);
    } catch (IOException | RuntimeException ignored) {
      // The original failure matters more; leftovers under tmp/ are swept on the next start.
    }
  }

  /**
   * Recreates the tree at {@code source} under the new directory {@code target}: regular files as
   * hard links (a copy where the volume cannot link), directories made anew; anything else fails.
   */
  public static void linkOrCopyTree(Path source, Path target) throws IOException {
    Files.walkFileTree(
        source,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            Files.createDirectory(target.resolve(source.relativize(d).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (!attrs.isRegularFile()) {
              throw new IOException("not a regular file: " + file);
            }
            Path to = target.resolve(source.relativize(file).toString());
            try {
              Files.createLink(to, file);
            } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
              Files.copy(file, to);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
