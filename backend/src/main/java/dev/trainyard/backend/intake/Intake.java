package dev.trainyard.backend.intake;

import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.ArtifactFileEntity;
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
import java.util.function.Function;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Write, check, then publish: content is copied into a staging directory on the store's volume (so
 * the bytes a caller checks are the bytes stored), stored through the artifact store (hashed into a
 * manifest whose hash is the id, as step outputs are), and recorded in one transaction. A refused
 * or failed intake leaves no row and no stored files.
 */
@ApplicationScoped
public class Intake {
  @Inject StoredArtifacts store;
  @Inject TrainyardConfig config;
  @Inject S3Sources s3;

  /** Bad content or arguments: every problem with its path ({@code train.jsonl:1234: text}). */
  public static final class Rejected extends RuntimeException {
    private final List<Issue> issues;
    private final long count;

    public Rejected(List<Issue> issues, long count) {
      super(count + " problem(s)");
      this.issues = List.copyOf(issues);
      this.count = count;
    }

    public Rejected(List<Issue> issues) {
      this(issues, issues.size());
    }

    public Rejected(Issue issue) {
      this(List.of(issue), 1);
    }

    public List<Issue> issues() {
      return issues;
    }

    /** All problems, of which {@link #issues} may list fewer. */
    public long count() {
      return count;
    }
  }

  public record Issue(String path, String message) {}

  /** The content is already registered under another name, team or type. */
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
   * Files copied for one intake; closing deletes whatever the store did not take.
   *
   * @param singleFile the file's name when one file was staged, else null
   */
  public record Staged(Path dir, String singleFile) implements AutoCloseable {
    @Override
    public void close() {
      deleteQuietly(dir);
    }
  }

  private Staged newStaged(String kind, String singleFile) throws IOException {
    Path area = Files.createDirectories(store.stagingArea());
    return new Staged(
        Files.createDirectory(area.resolve(kind + "-" + UUID.randomUUID())), singleFile);
  }

  /**
   * Copies a file or directory that lies inside a data root into staging, following no link below
   * the named path. Null when the path is missing, unreadable, special or outside the roots, for
   * every reason alike (no oracle for what exists on the server).
   *
   * @param kind names the staging directory ({@code dataset}, {@code checkpoint})
   */
  public Staged stageLocal(Path path, String kind) throws IOException {
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
      Staged staged = newStaged(kind, real.getFileName().toString());
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
    Staged staged = newStaged(kind, null);
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

  /**
   * Copies an S3 object, or every object under a "directory" prefix ({@code key/}), into staging.
   * Null, for every reason alike, when the URI is outside the S3 roots or names nothing the
   * backend's credentials can read (no oracle for what a bucket holds). Object keys below the
   * prefix become relative paths; one that could not be a path is refused with its key.
   */
  public Staged stageS3(S3Sources.S3Uri uri, String kind) throws IOException {
    if (!s3.inside(uri)) {
      return null;
    }
    S3Client client = s3.client();
    if (!uri.key().isEmpty()) {
      try {
        client.headObject(b -> b.bucket(uri.bucket()).key(uri.key()));
        String name = uri.key().substring(uri.key().lastIndexOf('/') + 1);
        Staged staged = newStaged(kind, name);
        try {
          download(client, uri.bucket(), uri.key(), staged.dir().resolve(name));
          return staged;
        } catch (IOException | RuntimeException e) {
          staged.close();
          throw e;
        }
      } catch (NoSuchKeyException | NoSuchBucketException notAnObject) {
        // a prefix, perhaps
      } catch (S3Exception e) {
        if (e.statusCode() != 404 && e.statusCode() != 403) {
          throw e;
        }
        if (e.statusCode() == 403) {
          return null;
        }
      }
    }
    String prefix = uri.key().isEmpty() ? "" : uri.key() + "/";
    Staged staged = newStaged(kind, null);
    try {
      boolean any = false;
      for (S3Object object :
          client.listObjectsV2Paginator(b -> b.bucket(uri.bucket()).prefix(prefix)).contents()) {
        String relative = object.key().substring(prefix.length());
        if (relative.endsWith("/")) {
          // A "folder" marker (consoles and some servers list one per directory): no file of the
          // tree can be named so.
          continue;
        }
        Path target = staged.dir().resolve(relative).normalize();
        if (relative.isEmpty()
            || relative.startsWith("/")
            || relative.contains("\\")
            || relative.indexOf('\0') >= 0
            || List.of(relative.split("/", -1)).stream()
                .anyMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."))
            || !target.startsWith(staged.dir())) {
          throw new Rejected(
              new Issue(
                  object.key(),
                  "an object key that is no relative path (empty, '.' or '..' parts)"));
        }
        Files.createDirectories(target.getParent());
        download(client, uri.bucket(), object.key(), target);
        any = true;
      }
      if (!any) {
        staged.close();
        return null;
      }
      return staged;
    } catch (NoSuchBucketException e) {
      staged.close();
      return null;
    } catch (S3Exception e) {
      staged.close();
      if (e.statusCode() == 403 || e.statusCode() == 404) {
        return null;
      }
      throw e;
    } catch (IOException | RuntimeException e) {
      staged.close();
      throw e;
    }
  }

  private static void download(S3Client client, String bucket, String key, Path target)
      throws IOException {
    try (InputStream in = client.getObject(b -> b.bucket(bucket).key(key))) {
      Files.copy(in, target);
    }
  }

  /** Streams one uploaded file into staging, never holding it in memory. */
  public Staged stageUpload(InputStream body, String fileName, String kind) throws IOException {
    Staged staged = newStaged(kind, fileName);
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
  public Staged stageTar(InputStream body, String kind) throws IOException {
    Staged staged = newStaged(kind, null);
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
   * Stores the directory (consuming it) as an artifact of {@code type} and runs {@code record} in a
   * new transaction with what was stored. When the recorder fails and no artifact row names the
   * stored files (a row that existed before, or one a concurrent intake of the same content
   * committed), they are deleted, so no half-registration is left.
   */
  public <T> T publish(Path dir, String type, Function<ProducedArtifact, T> record)
      throws IOException {
    ProducedArtifact stored = store.put(dir, type);
    try {
      return QuarkusTransaction.requiringNew().call(() -> record.apply(stored));
    } catch (RuntimeException e) {
      boolean named =
          QuarkusTransaction.requiringNew()
              .call(() -> ArtifactEntity.findById(stored.id()) != null);
      if (!named) {
        store.delete(stored.id());
      }
      throw e;
    }
  }

  /** The artifact row and its manifest rows for stored content; inside the caller's transaction. */
  public static ArtifactEntity persistArtifact(
      ProducedArtifact stored,
      String type,
      String name,
      String team,
      String user,
      OffsetDateTime now) {
    ArtifactEntity a = new ArtifactEntity();
    a.id = stored.id();
    a.type = type;
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
    return a;
  }

  static void deleteQuietly(Path dir) {
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
