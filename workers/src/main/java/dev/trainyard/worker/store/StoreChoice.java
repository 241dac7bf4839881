package dev.trainyard.worker.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Which artifact store a worker (or the backend) uses, as configured: {@code local} (the default:
 * {@code <root>/artifacts}) or {@code s3://bucket[/prefix]}, read through an input cache of {@code
 * cacheBytes} under {@code <root>/cache}.
 */
public record StoreChoice(Optional<S3StoreSettings> s3, long cacheBytes) {
  public static final String LOCAL = "local";
  public static final String DEFAULT_CACHE_SIZE = "64G";

  public static StoreChoice local() {
    return new StoreChoice(Optional.empty(), parseSize(DEFAULT_CACHE_SIZE));
  }

  /**
   * @param uri {@code local} or {@code s3://bucket[/prefix]}
   * @param endpoint an S3-compatible server's URL; path-style addressing is used with one
   * @param cacheSize bytes, or with a suffix K, M, G, T (powers of 1024)
   * @throws IllegalArgumentException naming what is wrong
   */
  public static StoreChoice parse(
      String uri, Optional<String> endpoint, Optional<String> region, String cacheSize) {
    long cacheBytes = parseSize(cacheSize);
    if (uri == null || uri.isBlank() || uri.equals(LOCAL)) {
      return new StoreChoice(Optional.empty(), cacheBytes);
    }
    if (!uri.startsWith("s3://")) {
      throw new IllegalArgumentException(
          "the artifact store is 'local' or s3://bucket[/prefix], got '" + uri + "'");
    }
    Optional<URI> server = endpoint.filter(e -> !e.isBlank()).map(StoreChoice::endpointUri);
    return new StoreChoice(
        Optional.of(
            new S3StoreSettings(uri, server, region.filter(r -> !r.isBlank()), server.isPresent())),
        cacheBytes);
  }

  public boolean isLocal() {
    return s3.isEmpty();
  }

  /** Opens the store for a process whose root dir is {@code root}. */
  public ArtifactStore open(Path root) {
    if (s3.isEmpty()) {
      LocalArtifactStore store = new LocalArtifactStore(root);
      try {
        store.sweepStaging(); // nothing of ours is mid-put before start
      } catch (IOException e) {
        throw new UncheckedIOException("cannot clean " + root.resolve("tmp"), e);
      }
      return store;
    }
    return S3ArtifactStore.open(s3.get(), new InputCache(root.resolve("cache"), cacheBytes));
  }

  /** What the store is, for a start-up banner. */
  public String describe(Path root) {
    return s3.map(
            s ->
                s.uri()
                    + s.endpoint().map(e -> " at " + e).orElse("")
                    + " (input cache "
                    + cacheBytes
                    + " bytes in "
                    + root.resolve("cache")
                    + ")")
        .orElse("local, " + root.resolve("artifacts"));
  }

  private static URI endpointUri(String endpoint) {
    URI uri;
    try {
      uri = URI.create(endpoint);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not an S3 endpoint URL: '" + endpoint + "'");
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
        || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "an S3 endpoint is an http(s) URL such as https://minio.internal:9000, got '"
              + endpoint
              + "'");
    }
    return uri;
  }

  /** {@code 1073741824}, {@code 512M}, {@code 64G}. */
  public static long parseSize(String size) {
    String s = size == null ? "" : size.trim().toUpperCase(Locale.ROOT);
    if (s.endsWith("B")) {
      s = s.substring(0, s.length() - 1);
    }
    int shift = 0;
    if (!s.isEmpty() && "KMGT".indexOf(s.charAt(s.length() - 1)) >= 0) {
      shift = 10 * ("KMGT".indexOf(s.charAt(s.length() - 1)) + 1);
      s = s.substring(0, s.length() - 1);
    }
    try {
      long n = Long.parseLong(s);
      if (n > 0 && n <= (Long.MAX_VALUE >> shift)) {
        return n << shift;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(
        "a cache size is a positive number of bytes, optionally with K, M, G or T, got '"
            + size
            + "'");
  }
}
