package dev.trainyard.worker.store;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Where an S3 artifact store is and how to reach it. Credentials are never part of it: the SDK's
 * default chain finds them ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, the shared
 * credentials file named by {@code AWS_SHARED_CREDENTIALS_FILE}, an instance or container role).
 *
 * @param uri {@code s3://bucket} or {@code s3://bucket/prefix}
 * @param endpoint an S3-compatible server (MinIO, s3proxy, Ceph); empty: AWS, or {@code
 *     AWS_ENDPOINT_URL_S3} if set
 * @param region empty: the SDK's chain ({@code AWS_REGION}, profile), else {@code us-east-1} when
 *     an endpoint is given
 * @param pathStyle {@code http://host/bucket/key} addressing, which most S3-compatible servers need
 * @param partSizeBytes multipart part and ranged-download size
 * @param concurrency parts in flight per file
 */
public record S3StoreSettings(
    String uri,
    Optional<URI> endpoint,
    Optional<String> region,
    boolean pathStyle,
    int partSizeBytes,
    int concurrency) {
  public static final int DEFAULT_PART_SIZE = 8 << 20;
  public static final int DEFAULT_CONCURRENCY = 8;
  private static final int MIN_PART_SIZE = 5 << 20; // S3's minimum for all parts but the last

  public S3StoreSettings {
    location(uri); // validates
    if (partSizeBytes < MIN_PART_SIZE) {
      throw new IllegalArgumentException(
          "S3 part size must be at least 5 MiB (S3's minimum), got " + partSizeBytes);
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException("S3 concurrency must be >= 1, got " + concurrency);
    }
  }

  public S3StoreSettings(String uri, Optional<URI> endpoint, Optional<String> region, boolean ps) {
    this(uri, endpoint, region, ps, DEFAULT_PART_SIZE, DEFAULT_CONCURRENCY);
  }

  /** Bucket and key prefix ({@code ""} or ending in {@code /}) of an {@code s3://} uri. */
  public record Location(String bucket, String prefix) {}

  public Location location() {
    return location(uri);
  }

  static Location location(String uri) {
    if (uri == null || !uri.startsWith("s3://")) {
      throw new IllegalArgumentException("an S3 store is named s3://bucket[/prefix], got " + uri);
    }
    String rest = uri.substring("s3://".length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String prefix = slash < 0 ? "" : rest.substring(slash + 1);
    // Bucket naming rules of S3 (3-63 lower-case letters, digits, dots, hyphens).
    if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException("not an S3 bucket name: '" + bucket + "' in " + uri);
    }
    while (prefix.endsWith("/")) {
      prefix = prefix.substring(0, prefix.length() - 1);
    }
    for (String part : prefix.isEmpty() ? new String[0] : prefix.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        throw new IllegalArgumentException(
            "not a usable S3 key prefix: '" + prefix + "' in " + uri);
      }
    }
    return new Location(bucket, prefix.isEmpty() ? "" : prefix + "/");
  }

  /**
   * A sync client over the JDK's HttpURLConnection. The SDK's own CRC32 request checksums are off
   * (computed only where S3 requires one): the store computes and checks a sha256 of every file
   * itself, and several S3-compatible servers reject the SDK's newer checksum trailers. Parts are
   * whole byte arrays of known length, so they go as plain bodies: no aws-chunked encoding (which
   * s3proxy decodes byte by byte) and no {@code Expect: 100-continue} round trip per part.
   */
  public S3Client newClient() {
    var builder =
        S3Client.builder()
            .httpClientBuilder(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(10))
                    .socketTimeout(Duration.ofMinutes(2)))
            .credentialsProvider(DefaultCredentialsProvider.builder().build())
            .forcePathStyle(pathStyle)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .serviceConfiguration(s -> s.chunkedEncodingEnabled(false).expectContinueEnabled(false))
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    endpoint.ifPresent(builder::endpointOverride);
    builder.region(Region.of(region.orElseGet(this::defaultRegion)));
    return builder.build();
  }

  private String defaultRegion() {
    try {
      return DefaultAwsRegionProviderChain.builder().build().getRegion().id();
    } catch (RuntimeException none) {
      if (endpoint.isPresent()) {
        return "us-east-1"; // what S3-compatible servers expect unless told otherwise
      }
      throw new IllegalArgumentException(
          "no AWS region for the S3 store " + uri + ": set AWS_REGION or --s3-region");
    }
  }
}
