package dev.trainyard.backend.datasets;

import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.ArtifactFileEntity;
import dev.trainyard.backend.catalog.DatasetVersionEntity;
import dev.trainyard.backend.common.Sha256;
import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.backend.home.StoredArtifacts;
import dev.trainyard.workflow.ManifestEntry;
import dev.trainyard.workflow.ProducedArtifact;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Registers dataset versions. Write, check, then publish: the content is copied into a staging
 * directory on the store's volume, checked record by record there (so the bytes checked are the
 * bytes stored), stored through the artifact store (hashed into a manifest whose hash is the id, as
 * step outputs are), and only then numbered in the catalog. A refused registration leaves no row
 * and no stored files.
 */
@ApplicationScoped
public class DatasetRegistry {
  @Inject StoredArtifacts store;
  @Inject TrainyardConfig config;
  @Inject DatasetVersionRepository versions;

  /** Bad content or arguments: every problem with its path ({@code train.jsonl:1234: text}). */
  public static final class Rejected extends RuntimeException {
    private final List<Issue> issues;
    private final long count;

    public Rejected(List<Issue> issues, long count) {
      super(count + " problem(s)");
      this.issues = List.copyOf(issues);
      this.count = count;
    }

    public Rejected(Issue issue) {
      this(List.of(issue), 1);
    }

    public List<Issue> issues() {
      return issues;
    }

    /** All problems, of which {@link #issues} lists at most {@link FormatCheck#MAX_LISTED}. */
    public long count() {
      return count;
    }
  }

  public record Issue(String path, String message) {}

  /** The content is registered under another name or is another kind of artifact. */
  public static final class Conflict extends RuntimeException {
    public Conflict(String message) {
      super(message);
    }
  }

  /** An upload past {@code trainyard.datasets.max-upload-size}. */
  public static final class TooLarge extends RuntimeException {
    public TooLarge(long limit) {
      super(
          "the upload is larger than the limit of "
              + limit
              + " bytes (trainyard.datasets.max-upload-size)");
    }
  }

  /**
   * Files copied for one registration; closing deletes whatever the store did not take.
   *
   * @param singleFile the file's name when one file was registered, else null
   */
  public record Staged(Path dir, String singleFile) implements AutoCloseable {
    @Override
    public void close() {
      deleteQuietly(dir);
    }
  }

  public record Registered(DatasetVersionEntity version, boolean created) {}

  private Staged newStaged(String singleFile) throws IOException {
    Path area = Files.createDirectories(store.stagingArea());
    return new Staged(
        Files.createDirectory(area.resolve("dataset-" + UUID.randomUUID())), singleFile);
  }

  /**
   * Copies a file or directory that lies inside a data root into staging, following no link below
   * the named path. Null when the path is missing, unreadable, special or outside the roots, for
   * every reason alike (no oracle for what exists on the server).
   */
  public Staged stageLocal(Path path) throws IOException {
    Path real = realInsideRoots(path);
    if (real == null) {
      return null;
    }
    BasicFileAttributes attrs =
        Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (attrs.isRegularFile()) {
      if (!Files.isReadable(real)) {
        return null;
      }
      Staged staged = newStaged(real.getFileName().toString());
      try (InputStream in = Files.newInputStream(real, LinkOption.NOFOLLOW_LINKS)) {
        Files.copy(in, staged.dir().resolve(real.getFileName().toString()));
      } catch (IOException | RuntimeException e) {
        staged.close();
        return null;
      }
      return staged;
    }
    if (!attrs.isDirectory()) {
      return null;
    }
    Staged staged = newStaged(null);
    try {
      copyTree(real, staged.dir());
      return staged;
    } catch (IOException | RuntimeException e) {
      staged.close();
      throw e;
    }
  }

  private static void copyTree(Path source, Path target) throws IOException {
    Files.walkFileTree(
        source,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            Files.createDirectories(target.resolve(source.relativize(dir).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            String relative = source.relativize(file).toString();
            if (!attrs.isRegularFile()) {
              throw new Rejected(
                  new Issue(
                      relative,
                      attrs.isSymbolicLink()
                          ? "a symbolic link: links are not followed, register the files themselves"
                          : "not a regular file"));
            }
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
              Files.copy(in, target.resolve(relative));
            } catch (IOException e) {
              throw new Rejected(new Issue(relative, "cannot be read"));
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            throw new Rejected(new Issue(source.relativize(file).toString(), "cannot be read"));
          }
        });
  }

  /** The path's real location when it is inside a configured root, else null. */
  private Path realInsideRoots(Path path) {
    try {
      Path real = path.toRealPath();
      for (Path root : config.datasets().roots()) {
        if (Files.isDirectory(root) && real.startsWith(root.toRealPath())) {
          return real;
        }
      }
    } catch (IOException | SecurityException e) {
      return null;
    }
    return null;
  }

  /** Streams one uploaded file into staging, never holding it in memory. */
  public Staged stageUpload(InputStream body, String fileName) throws IOException {
    Staged staged = newStaged(fileName);
    try (OutputStream out = Files.newOutputStream(staged.dir().resolve(fileName))) {
      copyBounded(body, out, new long[] {limit()});
      return staged;
    } catch (IOException | RuntimeException e) {
      staged.close();
      throw e;
    }
  }

  /**
   * Streams an uploaded tar into a staged directory: regular files and directories only, no
   * absolute names, no {@code ..}, no links. The limit counts the files' bytes.
   */
  public Staged stageTar(InputStream body) throws IOException {
    Staged staged = newStaged(null);
    long[] left = {limit()};
    try (TarArchiveInputStream tar = new TarArchiveInputStream(body)) {
      for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
        String name = entry.getName();
        if (name.startsWith("/")
            || name.contains("\\")
            || List.of(name.split("/")).contains("..")
            || name.indexOf('\0') >= 0) {
          throw new Rejected(new Issue("tar:" + name, "an absolute path or a '..' segment"));
        }
        Path target = staged.dir().resolve(name).normalize();
        if (!target.startsWith(staged.dir())) {
          throw new Rejected(new Issue("tar:" + name, "outside the archive's root"));
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else if (entry.isFile()) {
          Files.createDirectories(target.getParent());
          try (OutputStream out = Files.newOutputStream(target)) {
            copyBounded(tar, out, left);
          }
        } else {
          throw new Rejected(
              new Issue("tar:" + name, "not a regular file or directory (links are not stored)"));
        }
      }
      return staged;
    } catch (IOException e) {
      staged.close();
      if (e.getMessage() != null && !(e instanceof java.nio.file.FileSystemException)) {
        throw new Rejected(new Issue("$", "not a readable tar archive: " + e.getMessage()));
      }
      throw e;
    } catch (RuntimeException e) {
      staged.close();
      throw e;
    }
  }

  private long limit() {
    return config.datasets().maxUploadSize().asLongValue();
  }

  /** Copies until {@code left[0]} bytes are used up; past it, the rest is read and dropped. */
  private static void copyBounded(InputStream in, OutputStream out, long[] left)
      throws IOException {
    byte[] buffer = new byte[1 << 16];
    for (int n; (n = in.read(buffer)) > 0; ) {
      if (n > left[0]) {
        long limit = left[0];
        // Read what the client still sends (the HTTP body limit bounds it) so that it gets the 413
        // rather than a reset connection.
        in.transferTo(OutputStream.nullOutputStream());
        throw new TooLarge(limit);
      }
      left[0] -= n;
      out.write(buffer, 0, n);
    }
  }

  /**
   * Checks, stores and numbers the staged content as the next version of {@code name} in {@code
   * team}; the same content under the same name is the version it already is.
   *
   * @param expectedSha256 when given, the single file's sha256 the caller expects
   * @param sees which teams the caller may see (what a conflict may reveal)
   */
  public Registered register(
      Staged staged,
      String name,
      String team,
      String user,
      String source,
      String expectedSha256,
      Predicate<String> sees)
      throws IOException {
    FormatCheck.Result checked = FormatCheck.check(staged.dir());
    if (!checked.ok()) {
      throw new Rejected(
          checked.problems().stream().map(p -> new Issue(p.path(), p.message())).toList(),
          checked.problemCount());
    }
    if (expectedSha256 != null) {
      if (staged.singleFile() == null) {
        throw new Rejected(
            new Issue("sha256", "only a single file can be checked against a sha256"));
      }
      if (!Sha256.ofFile(staged.dir().resolve(staged.singleFile())).equals(expectedSha256)) {
        // The actual hash is not echoed: the caller learns only that its expectation was wrong.
        throw new Rejected(new Issue("sha256", "does not match the file's content"));
      }
    }
    ProducedArtifact stored = store.put(staged.dir(), "dataset");
    boolean[] rowExisted = {false};
    try {
      return QuarkusTransaction.requiringNew()
          .call(() -> record(stored, checked, name, team, user, source, sees, rowExisted));
    } catch (RuntimeException e) {
      if (!rowExisted[0]) {
        // Nothing in the catalog names these files: they go, so no half-registration is left.
        store.delete(stored.id());
      }
      throw e;
    }
  }

  private Registered record(
      ProducedArtifact stored,
      FormatCheck.Result checked,
      String name,
      String team,
      String user,
      String source,
      Predicate<String> sees,
      boolean[] rowExisted) {
    // One registration of a name at a time, so version numbers are dense and never collide.
    versions.lockName(team, name);
    ArtifactEntity existing = ArtifactEntity.findById(stored.id());
    if (existing != null) {
      rowExisted[0] = true;
      DatasetVersionEntity version = DatasetVersionEntity.findById(stored.id());
      if (version != null && version.name.equals(name) && version.team.equals(team)) {
        return new Registered(version, false);
      }
      // Never describe another team's object (issue 11, Low): its name and type stay unsaid.
      throw new Conflict(
          sees.test(existing.team)
              ? "this content is already registered as '"
                  + (version != null ? version.ref() : existing.name)
                  + "' ("
                  + existing.type
                  + ")"
              : "this content is already registered");
    }
    int latest = versions.latestVersion(team, name);
    OffsetDateTime now = OffsetDateTime.now();
    ArtifactEntity a = new ArtifactEntity();
    a.id = stored.id();
    a.type = "dataset";
    a.name = name;
    a.uri = stored.uri();
    a.sizeBytes = stored.sizeBytes();
    a.createdAt = now;
    a.createdBy = user;
    a.team = team;
    a.persist();
    for (ManifestEntry e : stored.files()) {
      ArtifactFileEntity f = new ArtifactFileEntity();
      f.artifactId = a.id;
      f.path = e.path();
      f.sizeBytes = e.sizeBytes();
      f.sha256 = e.sha256();
      f.persist();
    }
    DatasetVersionEntity v = new DatasetVersionEntity();
    v.artifactId = a.id;
    v.team = team;
    v.name = name;
    v.version = latest + 1;
    v.format = checked.format().wireName();
    v.records = checked.records();
    v.fileFormats = FormatCheck.asRow(checked);
    v.source = source;
    v.createdAt = now;
    v.createdBy = user;
    v.persist();
    return new Registered(v, true);
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      // Staging leftovers are swept when the embedded worker starts.
    }
  }
}
