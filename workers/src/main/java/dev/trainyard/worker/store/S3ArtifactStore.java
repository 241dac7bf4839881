package dev.trainyard.worker.store;

import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ManifestEntry;
import dev.trainyard.workflow.ProducedArtifact;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Artifacts in an S3 bucket (or an S3-compatible server), read through a worker's {@link
 * InputCache}.
 *
 * <p>Layout under the store's prefix:
 *
 * <ul>
 *   <li>{@code artifacts/<id>.manifest}: the canonical manifest text (its sha256 is the id), with
 *       user metadata {@code files} naming the upload that holds the files; written last, so an
 *       artifact whose manifest exists is complete, and deleted first, so one that is being deleted
 *       is no longer found;
 *   <li>{@code uploads/<upload>/<path>}: the files, one upload per put.
 * </ul>
 *
 * The files sit under an upload id rather than the artifact id because the id is only known once
 * every file is hashed, and S3 cannot rename: this way each file is read once, hashed while its
 * parts go up. A put of content the store already holds deletes its own upload and returns the
 * stored one, so identical content is kept once.
 *
 * <p>Every downloaded file is checked against the manifest (size and sha256) before a step sees it;
 * the manifest itself against the id.
 */
public final class S3ArtifactStore implements ArtifactStore, AutoCloseable {
  private static final String FILES_METADATA = "files";

  private final S3Client s3;
  private final String uri;
  private final String bucket;
  private final String prefix;
  private final InputCache cache;
  private final int partSize;
  private final int concurrency;
  // Platform threads: the blocking HTTP client's sockets and locks would tie up the few carrier
  // threads of virtual ones. Bounded per transfer by its window, not here.
  private final ExecutorService transfers =
      Executors.newCachedThreadPool(Thread.ofPlatform().name("s3-transfer-", 0).daemon().factory());

  public S3ArtifactStore(S3Client s3, S3StoreSettings settings, InputCache cache) {
    this.s3 = s3;
    S3StoreSettings.Location location = settings.location();
    this.bucket = location.bucket();
    this.prefix = location.prefix();
    this.uri = "s3://" + bucket + "/" + prefix;
    this.cache = cache;
    this.partSize = settings.partSizeBytes();
    this.concurrency = settings.concurrency();
  }

  /** A store with a client made from the settings. */
  public static S3ArtifactStore open(S3StoreSettings settings, InputCache cache) {
    return new S3ArtifactStore(settings.newClient(), settings, cache);
  }

  public InputCache cache() {
    return cache;
  }

  /** {@code s3://bucket/prefix/}, for messages. */
  public String location() {
    return uri;
  }

  // ---------------------------------------------------------------- put

  @Override
  public ProducedArtifact put(Path outputDir, String type) throws IOException {
    if (!Files.isDirectory(outputDir)) {
      throw new InvalidArtifactException(
          "output " + outputDir + " is not a directory (did the step delete it?)");
    }
    // As the local store does: sealed first, so the bytes hashed are the bytes kept and cached.
    FileTrees.unshareHardLinks(outputDir);
    FileTrees.makeReadOnly(outputDir, false);
    List<Manifests.TreeFile> files = Manifests.listTree(outputDir);
    String upload = UUID.randomUUID().toString();
    List<ManifestEntry> entries = new ArrayList<>();
    try {
      for (Manifests.TreeFile f : files) {
        entries.add(
            new ManifestEntry(f.path(), f.sizeBytes(), upload(fileKey(upload, f.path()), f)));
      }
      String id = Manifests.idOf(entries);
      if (!publish(id, Manifests.canonicalText(entries), upload)) {
        deleteUpload(upload); // the store had this content already: keep one copy
      }
      long size = entries.stream().mapToLong(ManifestEntry::sizeBytes).sum();
      // The step's files are the artifact's, just hashed: the next step here reads them locally.
      cache.adopt(id, outputDir, size);
      return new ProducedArtifact(id, type, uriOf(id), size, entries);
    } catch (IOException | RuntimeException e) {
      deleteUploadQuietly(upload);
      throw e;
    }
  }

  /** Writes the manifest unless present; false if the store already held the artifact. */
  private boolean publish(String id, String manifest, String upload) throws IOException {
    if (contains(id)) {
      return false;
    }
    byte[] body = manifest.getBytes(StandardCharsets.UTF_8);
    try {
      // If-None-Match: of two puts racing on the same content, one manifest wins on servers
      // that support conditional writes (S3 does); the loser deletes its upload.
      s3.putObject(
          b ->
              b.bucket(bucket)
                  .key(manifestKey(id))
                  .contentLength((long) body.length)
                  .metadata(Map.of(FILES_METADATA, upload))
                  .ifNoneMatch("*"),
          RequestBody.fromBytes(body));
      return true;
    } catch (S3Exception e) {
      if (e.statusCode() == 412) {
        return false;
      }
      throw failure("write the manifest of " + id, e);
    } catch (SdkException e) {
      throw failure("write the manifest of " + id, e);
    }
  }

  /** Uploads one file, hashing it as it is read; returns its sha256. */
  private String upload(String key, Manifests.TreeFile f) throws IOException {
    MessageDigest digest = Manifests.newSha256();
    try (FileChannel in = FileChannel.open(f.file(), StandardOpenOption.READ)) {
      if (f.sizeBytes() <= partSize) {
        byte[] bytes = new byte[(int) f.sizeBytes()];
        readFully(in, bytes, bytes.length, f);
        digest.update(bytes);
        s3.putObject(
            b -> b.bucket(bucket).key(key).contentLength(f.sizeBytes()), body(bytes, bytes.length));
      } else {
        uploadParts(key, in, f, digest);
      }
      if (in.position() != in.size() || in.size() != f.sizeBytes()) {
        throw new IOException("artifact file '" + f.path() + "' changed while it was stored");
      }
    } catch (SdkException e) {
      throw failure("upload " + f.path(), e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private void uploadParts(String key, FileChannel in, Manifests.TreeFile f, MessageDigest digest)
      throws IOException {
    String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
    // concurrency parts in flight plus the one being read: the memory a transfer may take.
    BlockingQueue<byte[]> buffers = new ArrayBlockingQueue<>(concurrency + 1);
    for (int i = 0; i <= concurrency; i++) {
      buffers.add(new byte[partSize]);
    }
    List<Future<CompletedPart>> parts = new ArrayList<>();
    try {
      long remaining = f.sizeBytes();
      for (int number = 1; remaining > 0; number++) {
        int length = (int) Math.min(partSize, remaining);
        byte[] buffer = buffers.take();
        readFully(in, buffer, length, f);
        digest.update(buffer, 0, length);
        remaining -= length;
        int partNumber = number;
        parts.add(
            transfers.submit(
                () -> {
                  try {
                    String etag =
                        s3.uploadPart(
                                b ->
                                    b.bucket(bucket)
                                        .key(key)
                                        .uploadId(uploadId)
                                        .partNumber(partNumber)
                                        .contentLength((long) length),
                                body(buffer, length))
                            .eTag();
                    return CompletedPart.builder().partNumber(partNumber).eTag(etag).build();
                  } finally {
                    buffers.add(buffer);
                  }
                }));
        failFast(parts);
      }
      List<CompletedPart> completed = new ArrayList<>();
      for (Future<CompletedPart> part : parts) {
        completed.add(await(part, f.path()));
      }
      s3.completeMultipartUpload(
          b ->
              b.bucket(bucket)
                  .key(key)
                  .uploadId(uploadId)
                  .multipartUpload(m -> m.parts(completed)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort(key, uploadId, parts);
      throw new InterruptedIOException("interrupted uploading " + f.path());
    } catch (IOException | RuntimeException e) {
      abort(key, uploadId, parts);
      throw e;
    }
  }

  /** Stops reading the file as soon as a part has failed. */
  private static void failFast(List<Future<CompletedPart>> parts) throws IOException {
    for (Future<CompletedPart> part : parts) {
      if (part.isDone()) {
        try {
          part.get();
        } catch (ExecutionException e) {
          throw asIo(e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException();
        }
      }
    }
  }

  private void abort(String key, String uploadId, List<Future<CompletedPart>> parts) {
    parts.forEach(p -> p.cancel(true));
    try {
      s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
    } catch (SdkException ignored) {
      // The original failure matters more; a bucket lifecycle rule aborts stale uploads.
    }
  }

  // ---------------------------------------------------------------- read

  @Override
  public Path resolve(ArtifactRef ref) throws IOException {
    // Not held: the directory stays until the cache needs the room (steps use leases instead).
    try (Lease lease = use(ref)) {
      return lease.dir();
    }
  }

  @Override
  public Lease use(ArtifactRef ref) throws IOException {
    String id = idOf(ref);
    Manifest manifest = readManifest(id);
    long size = manifest.entries().stream().mapToLong(ManifestEntry::sizeBytes).sum();
    InputCache.Lease lease = cache.acquire(id, size, into -> download(id, manifest, into));
    return new Lease(lease.dir(), lease::close);
  }

  @Override
  public boolean contains(String id) {
    if (!Manifests.isArtifactId(id)) {
      return false;
    }
    try {
      s3.headObject(b -> b.bucket(bucket).key(manifestKey(id)));
      return true;
    } catch (NoSuchKeyException e) {
      return false;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw new java.io.UncheckedIOException(failure("look up " + id, e));
    } catch (SdkException e) {
      throw new java.io.UncheckedIOException(failure("look up " + id, e));
    }
  }

  /** Names are small objects under {@code <prefix>names/}, each holding an artifact id. */
  @Override
  public void putName(String name, String id) throws IOException {
    if (!ArtifactStore.isName(name) || name.endsWith("/") || !Manifests.isArtifactId(id)) {
      throw new IllegalArgumentException("not a name and artifact id: " + name + " " + id);
    }
    try {
      s3.putObject(
          b -> b.bucket(bucket).key(nameKey(name)),
          RequestBody.fromString(id, java.nio.charset.StandardCharsets.UTF_8));
    } catch (SdkException e) {
      throw failure("write the name " + name, e);
    }
  }

  @Override
  public java.util.Map<String, String> names(String namePrefix) throws IOException {
    if (!ArtifactStore.isName(namePrefix) || !namePrefix.endsWith("/")) {
      throw new IllegalArgumentException("not a name prefix: " + namePrefix);
    }
    java.util.Map<String, String> found = new java.util.TreeMap<>();
    String keyPrefix = nameKey(namePrefix);
    try {
      for (S3Object o :
          s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(keyPrefix)).contents()) {
        String id = s3.getObjectAsBytes(b -> b.bucket(bucket).key(o.key())).asUtf8String().trim();
        if (Manifests.isArtifactId(id)) {
          found.put(o.key().substring(nameKey("").length()), id);
        }
      }
    } catch (NoSuchKeyException e) {
      // deleted while listing: not a name any more
    } catch (SdkException e) {
      throw failure("list the names under " + namePrefix, e);
    }
    return found;
  }

  @Override
  public boolean deleteName(String name) throws IOException {
    if (!ArtifactStore.isName(name) || name.endsWith("/")) {
      throw new IllegalArgumentException("not a name: " + name);
    }
    try {
      s3.headObject(b -> b.bucket(bucket).key(nameKey(name)));
    } catch (NoSuchKeyException e) {
      return false;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw failure("look up the name " + name, e);
    } catch (SdkException e) {
      throw failure("look up the name " + name, e);
    }
    try {
      s3.deleteObject(b -> b.bucket(bucket).key(nameKey(name)));
      return true;
    } catch (SdkException e) {
      throw failure("delete the name " + name, e);
    }
  }

  private String nameKey(String name) {
    return prefix + "names/" + name;
  }

  @Override
  public List<Path> localDirectories() {
    return List.of(cache.dir());
  }

  private record Manifest(List<ManifestEntry> entries, String upload) {}

  private Manifest readManifest(String id) throws IOException {
    ResponseBytes<GetObjectResponse> object;
    try {
      object = s3.getObjectAsBytes(b -> b.bucket(bucket).key(manifestKey(id)));
    } catch (NoSuchKeyException e) {
      throw new NoSuchFileException(
          manifestKey(id), null, "artifact " + id + " is not in the store " + uri);
    } catch (SdkException e) {
      throw failure("read the manifest of " + id, e);
    }
    byte[] body = object.asByteArray();
    String text = new String(body, StandardCharsets.UTF_8);
    List<ManifestEntry> entries = Manifests.parse(text);
    String sha = HexFormat.of().formatHex(Manifests.newSha256().digest(body));
    String upload = object.response().metadata().get(FILES_METADATA);
    if (entries == null || !sha.equals(id) || upload == null || !upload.matches("[0-9a-f-]{36}")) {
      throw new IOException(
          "the manifest of artifact "
              + id
              + " in "
              + uri
              + " is corrupted (its sha256 is "
              + sha
              + "); the artifact cannot be read");
    }
    for (ManifestEntry e : entries) {
      if (!isSafePath(e.path())) {
        throw new IOException(
            "the manifest of artifact " + id + " names a path outside it: " + e.path());
      }
    }
    return new Manifest(entries, upload);
  }

  private void download(String id, Manifest manifest, Path into) throws IOException {
    for (ManifestEntry entry : manifest.entries()) {
      Path target = into.resolve(entry.path());
      Files.createDirectories(target.getParent());
      String sha = downloadFile(fileKey(manifest.upload(), entry.path()), entry, target, id);
      if (!sha.equals(entry.sha256())) {
        throw new IOException(
            "artifact "
                + id
                + " file '"
                + entry.path()
                + "' in "
                + uri
                + " is corrupted: its sha256 is "
                + sha
                + ", the manifest says "
                + entry.sha256()
                + "; the download is refused");
      }
    }
  }

  /** Downloads one file, ranges in parallel, hashed in order as written; returns its sha256. */
  private String downloadFile(String key, ManifestEntry entry, Path target, String id)
      throws IOException {
    MessageDigest digest = Manifests.newSha256();
    long size = entry.sizeBytes();
    Deque<Future<byte[]>> window = new ArrayDeque<>();
    try (FileChannel out =
        FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      long next = 0;
      long written = 0;
      boolean whole = size <= partSize;
      do {
        while (window.size() < concurrency && (next < size || (whole && window.isEmpty()))) {
          long start = next;
          long end = Math.min(size, start + partSize);
          window.add(transfers.submit(() -> fetch(key, start, end, whole, entry, id)));
          next = whole ? size : end;
          if (whole) {
            break;
          }
        }
        byte[] chunk = await(window.poll(), entry.path());
        digest.update(chunk);
        out.write(ByteBuffer.wrap(chunk));
        written += chunk.length;
      } while (!window.isEmpty() || next < size);
      if (written != size) {
        throw sizeMismatch(id, entry, written);
      }
    } finally {
      window.forEach(f -> f.cancel(true)); // after a failure: stop the ranges still in flight
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** Bytes [start, end) of the object; the whole object when {@code whole}. */
  private byte[] fetch(
      String key, long start, long end, boolean whole, ManifestEntry entry, String id)
      throws IOException {
    try (ResponseInputStream<GetObjectResponse> in =
        s3.getObject(
            b -> {
              b.bucket(bucket).key(key);
              if (!whole) {
                b.range("bytes=" + start + "-" + (end - 1));
              }
            })) {
      long total = totalSize(in.response());
      if (total != entry.sizeBytes()) {
        throw sizeMismatch(id, entry, total);
      }
      int length = (int) (end - start);
      byte[] bytes = in.readNBytes(length);
      if (bytes.length != length || (whole && in.read() != -1)) {
        throw sizeMismatch(id, entry, start + bytes.length);
      }
      return bytes;
    } catch (NoSuchKeyException e) {
      throw new NoSuchFileException(
          key, null, "artifact " + id + " file '" + entry.path() + "' is missing from " + uri);
    } catch (SdkException e) {
      throw failure("download " + entry.path() + " of " + id, e);
    }
  }

  private static long totalSize(GetObjectResponse response) {
    String range = response.contentRange(); // bytes 0-99/1234
    if (range != null && range.lastIndexOf('/') > 0) {
      return Long.parseLong(range.substring(range.lastIndexOf('/') + 1).trim());
    }
    return response.contentLength();
  }

  private IOException sizeMismatch(String id, ManifestEntry entry, long actual) {
    return new IOException(
        "artifact "
            + id
            + " file '"
            + entry.path()
            + "' in "
            + uri
            + " is corrupted: it has "
            + actual
            + " bytes, the manifest says "
            + entry.sizeBytes()
            + "; the download is refused");
  }

  // ---------------------------------------------------------------- delete

  /**
   * Deletes the manifest, then the files: from the first request on, the artifact is not found
   * (readers that have it in their cache keep their copy until they let go). A crash in between
   * leaves files no manifest names; the next put of the same content writes a new upload.
   */
  @Override
  public boolean delete(String id) throws IOException {
    if (!Manifests.isArtifactId(id)) {
      throw new IllegalArgumentException("not an artifact id: " + id);
    }
    String upload;
    try {
      upload =
          s3.headObject(b -> b.bucket(bucket).key(manifestKey(id))).metadata().get(FILES_METADATA);
    } catch (NoSuchKeyException e) {
      return false;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw failure("look up " + id, e);
    } catch (SdkException e) {
      throw failure("look up " + id, e);
    }
    try {
      s3.deleteObject(b -> b.bucket(bucket).key(manifestKey(id)));
    } catch (SdkException e) {
      throw failure("delete the manifest of " + id, e);
    }
    cache.evict(id);
    if (upload != null && upload.matches("[0-9a-f-]{36}")) {
      deleteUpload(upload);
    }
    return true;
  }

  private void deleteUpload(String upload) throws IOException {
    String uploadPrefix = prefix + "uploads/" + upload + "/";
    try {
      List<ObjectIdentifier> batch = new ArrayList<>();
      for (S3Object o :
          s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(uploadPrefix)).contents()) {
        batch.add(ObjectIdentifier.builder().key(o.key()).build());
        if (batch.size() == 1000) { // DeleteObjects' limit
          deleteBatch(batch);
        }
      }
      if (!batch.isEmpty()) {
        deleteBatch(batch);
      }
    } catch (SdkException e) {
      throw failure("delete the files of upload " + upload, e);
    }
  }

  private void deleteBatch(List<ObjectIdentifier> batch) throws IOException {
    var response =
        s3.deleteObjects(
            b -> b.bucket(bucket).delete(d -> d.objects(List.copyOf(batch)).quiet(true)));
    batch.clear();
    if (response.hasErrors() && !response.errors().isEmpty()) {
      throw new IOException(
          "S3 store "
              + uri
              + " did not delete "
              + response.errors().get(0).key()
              + ": "
              + response.errors().get(0).message());
    }
  }

  private void deleteUploadQuietly(String upload) {
    try {
      deleteUpload(upload);
    } catch (IOException | RuntimeException ignored) {
      // The original failure matters more; no manifest names these files.
    }
  }

  @Override
  public void close() {
    transfers.shutdownNow();
    s3.close();
  }

  // ---------------------------------------------------------------- helpers

  private String idOf(ArtifactRef ref) {
    if (!Manifests.isArtifactId(ref.id())) {
      throw new IllegalArgumentException("not an artifact id: " + ref.id());
    }
    if (ref.uri() != null && !ref.uri().isBlank() && !ref.uri().equals(uriOf(ref.id()))) {
      throw new IllegalArgumentException(
          "the S3 store " + uri + " cannot read " + ref.uri() + " (artifact " + ref.id() + ")");
    }
    return ref.id();
  }

  private String uriOf(String id) {
    return uri + "artifacts/" + id;
  }

  private String manifestKey(String id) {
    return prefix + "artifacts/" + id + ".manifest";
  }

  private String fileKey(String upload, String path) {
    return prefix + "uploads/" + upload + "/" + path;
  }

  private static boolean isSafePath(String path) {
    if (path.isEmpty() || path.startsWith("/")) {
      return false;
    }
    for (String part : path.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        return false;
      }
    }
    return true;
  }

  private static RequestBody body(byte[] bytes, int length) {
    // A stream over the caller's buffer: RequestBody.fromBytes would copy every part once more.
    return RequestBody.fromContentProvider(
        () -> (InputStream) new ByteArrayInputStream(bytes, 0, length),
        length,
        "application/octet-stream");
  }

  private static void readFully(FileChannel in, byte[] buffer, int length, Manifests.TreeFile f)
      throws IOException {
    ByteBuffer target = ByteBuffer.wrap(buffer, 0, length);
    while (target.hasRemaining()) {
      if (in.read(target) < 0) {
        throw new IOException("artifact file '" + f.path() + "' changed while it was stored");
      }
    }
  }

  private static <T> T await(Future<T> future, String path) throws IOException {
    try {
      return future.get();
    } catch (ExecutionException e) {
      throw asIo(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(true);
      throw new InterruptedIOException("interrupted transferring " + path);
    }
  }

  private static IOException asIo(Throwable cause) {
    if (cause instanceof IOException io) {
      return io;
    }
    if (cause instanceof RuntimeException r) {
      throw r;
    }
    return new IOException(cause);
  }

  private IOException failure(String what, SdkException e) {
    return new IOException("S3 store " + uri + ": cannot " + what + ": " + e.getMessage(), e);
  }
}
