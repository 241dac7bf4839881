package dev.trainyard.worker.store;

import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ManifestEntry;
import dev.trainyard.workflow.ProducedArtifact;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Artifacts in a directory on this host: {@code <root>/artifacts/<id>/} (read-only files) and
 * {@code <root>/artifacts/<id>.manifest}. New artifacts are assembled under {@code <root>/tmp/} and
 * published by one rename, so a crash or a full disk never leaves a partial artifact under its id.
 */
public final class LocalArtifactStore implements ArtifactStore {
  private final Path root;
  private final Path artifacts;
  private final Path staging;

  public LocalArtifactStore(Path root) {
    try {
      this.root = Files.createDirectories(root).toRealPath();
      this.artifacts = Files.createDirectories(this.root.resolve("artifacts"));
      this.staging = Files.createDirectories(this.root.resolve("tmp"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use artifact store root " + root, e);
    }
  }

  public Path root() {
    return root;
  }

  @Override
  public ProducedArtifact put(Path outputDir, String type) throws IOException {
    if (!Files.isDirectory(outputDir)) {
      throw new InvalidArtifactException(
          "output " + outputDir + " is not a directory (did the step delete it?)");
    }
    Path work = Files.createDirectories(staging.resolve("put-" + UUID.randomUUID()));
    Path content = work.resolve("content");
    try {
      // Inside the try: a copy across volumes that runs out of space must not leave its half
      // behind.
      takeOver(outputDir, content);
      FileTrees.unshareHardLinks(content);
      // Sealed, then hashed: the manifest describes the read-only files that are published.
      // (Whatever
      // the step started is dead by now, see StepSandbox, so nobody holds them open for writing.)
      FileTrees.makeReadOnly(content, false);
      List<ManifestEntry> entries = Manifests.hashTree(content);
      String id = Manifests.idOf(entries);
      Path target = artifacts.resolve(id);
      Path manifestTmp = work.resolve("manifest");
      Files.writeString(manifestTmp, Manifests.canonicalText(entries), StandardCharsets.UTF_8);
      publish(content, target);
      // The directory rename above is the commit; the manifest file is derived from it and
      // rewriting
      // it with the same bytes is harmless when two workers store the same content concurrently.
      Files.move(
          manifestTmp,
          artifacts.resolve(id + ".manifest"),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      trySetReadOnly(target);
      long size = entries.stream().mapToLong(ManifestEntry::sizeBytes).sum();
      return new ProducedArtifact(id, type, uriOf(target), size, entries);
    } catch (IOException | RuntimeException e) {
      // Give the step's files back where they were, so a failed store can be inspected or retried.
      restore(content, outputDir);
      throw e;
    } finally {
      FileTrees.deleteQuietly(work);
    }
  }

  @Override
  public Path resolve(ArtifactRef ref) throws IOException {
    Path dir = locate(ref);
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(
          dir.toString(), null, "artifact " + ref.id() + " is not in this store");
    }
    Path real = dir.toRealPath();
    if (!real.getParent().equals(artifacts)) {
      throw new IllegalArgumentException("artifact uri escapes the store root: " + ref.uri());
    }
    return real;
  }

  /** Names are files under {@code <root>/names/}, each holding an artifact id. */
  @Override
  public void putName(String name, String id) throws IOException {
    if (!ArtifactStore.isName(name) || name.endsWith("/") || !Manifests.isArtifactId(id)) {
      throw new IllegalArgumentException("not a name and artifact id: " + name + " " + id);
    }
    Path file = root.resolve("names").resolve(name);
    Files.createDirectories(file.getParent());
    Path tmp = staging.resolve("name-" + UUID.randomUUID());
    Files.writeString(tmp, id, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public java.util.Map<String, String> names(String prefix) throws IOException {
    if (!ArtifactStore.isName(prefix) || !prefix.endsWith("/")) {
      throw new IllegalArgumentException("not a name prefix: " + prefix);
    }
    Path names = root.resolve("names");
    Path dir = names.resolve(prefix);
    java.util.Map<String, String> found = new java.util.TreeMap<>();
    if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return found;
    }
    try (var files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          String id = Files.readString(f, StandardCharsets.UTF_8).trim();
          if (Manifests.isArtifactId(id)) {
            found.put(names.relativize(f).toString().replace('\\', '/'), id);
          }
        }
      }
    }
    return found;
  }

  @Override
  public boolean deleteName(String name) throws IOException {
    if (!ArtifactStore.isName(name) || name.endsWith("/")) {
      throw new IllegalArgumentException("not a name: " + name);
    }
    return Files.deleteIfExists(root.resolve("names").resolve(name));
  }

  @Override
  public List<Path> localDirectories() {
    return List.of(artifacts, staging);
  }

  @Override
  public boolean contains(String id) {
    return Manifests.isArtifactId(id) && Files.isDirectory(artifacts.resolve(id));
  }

  /**
   * Deletes an artifact's files (retention). The directory is first renamed into staging, so a
   * reader never sees half an artifact under its id; a crash mid-way leaves a leftover that {@link
   * #sweepStaging} removes. Returns false if the store did not hold it.
   */
  @Override
  public boolean delete(String id) throws IOException {
    if (!Manifests.isArtifactId(id)) {
      throw new IllegalArgumentException("not an artifact id: " + id);
    }
    Path dir = artifacts.resolve(id);
    Path manifest = artifacts.resolve(id + ".manifest");
    if (!Files.isDirectory(dir)) {
      Files.deleteIfExists(manifest);
      return false;
    }
    Path doomed = staging.resolve("delete-" + id + "-" + UUID.randomUUID());
    Files.setPosixFilePermissions(
        dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
    Files.deleteIfExists(manifest);
    FileTrees.deleteRecursively(doomed);
    return true;
  }

  /** Removes leftovers of puts interrupted by a crash; call when no put is running. */
  public void sweepStaging() throws IOException {
    try (Stream<Path> leftovers = Files.list(staging)) {
      for (Path p : leftovers.toList()) {
        FileTrees.deleteRecursively(p);
      }
    }
  }

  private Path locate(ArtifactRef ref) {
    if (ref.uri() == null || ref.uri().isBlank()) {
      if (!Manifests.isArtifactId(ref.id())) {
        throw new IllegalArgumentException("not an artifact id: " + ref.id());
      }
      return artifacts.resolve(ref.id());
    }
    URI uri = URI.create(ref.uri());
    if (!"file".equals(uri.getScheme())) {
      throw new IllegalArgumentException("the local store cannot read " + ref.uri());
    }
    Path path = Path.of(uri).normalize();
    // Checked on the normalised path first so that `..` never reaches the file system.
    if (!path.startsWith(artifacts) || path.getNameCount() != artifacts.getNameCount() + 1) {
      throw new IllegalArgumentException(
          "artifact uri is outside the store " + artifacts + ": " + ref.uri());
    }
    if (ref.id() != null && !path.getFileName().toString().equals(ref.id())) {
      throw new IllegalArgumentException(
          "artifact uri " + ref.uri() + " does not match id " + ref.id());
    }
    return path;
  }

  /** Moves the step's output into staging; copies when it lives on another file system. */
  private static void takeOver(Path outputDir, Path content) throws IOException {
    try {
      Files.move(outputDir, content, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      try (Stream<Path> files = Files.walk(outputDir)) {
        for (Path source : files.toList()) {
          Files.copy(
              source,
              content.resolve(outputDir.relativize(source).toString()),
              java.nio.file.LinkOption.NOFOLLOW_LINKS,
              StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
      FileTrees.deleteRecursively(outputDir);
    }
  }

  private static void publish(Path content, Path target) throws IOException {
    if (Files.isDirectory(target)) {
      return; // same id, same bytes: keep the stored copy, the finally block drops ours
    }
    try {
      Files.move(content, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
      // Another put of identical content won the rename; its copy is as good as ours.
    }
  }

  private static void restore(Path content, Path outputDir) {
    try {
      if (Files.exists(content) && !Files.exists(outputDir)) {
        Files.move(content, outputDir, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException | RuntimeException ignored) {
      // Best effort only; the staging copy is deleted either way.
    }
  }

  private static void trySetReadOnly(Path dir) {
    try {
      Files.setPosixFilePermissions(
          dir, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
    } catch (IOException | RuntimeException ignored) {
      // Everything inside is already read-only; the top directory stays writable until now only
      // because renaming a directory needs write access to it.
    }
  }

  private static String uriOf(Path dir) {
    String uri = dir.toUri().toString();
    return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
  }
}
