package dev.trainyard.worker.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ProducedArtifact;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.transfer.s3.S3TransferManager;

/**
 * Upload and download with hashing of one large file through {@link S3ArtifactStore} against the
 * AWS SDK's own {@link S3TransferManager} (on the SDK's Java multipart async client; the CRT client
 * is not used: its native library is not among this build's dependencies) on the same file and the
 * same s3proxy, in one run, rounds interleaved (docs/benchmarks.md). Not part of the test run:
 *
 * <pre>
 * ./mvnw -pl workflows,workers test -Dtest=S3StoreBenchmark -Dtests.excludedGroups=none
 * -Dsurefire.failIfNoSpecifiedTests=false [-Dbench.mb=1024] [-Dbench.rounds=3]</pre>
 *
 * The transfer manager does not hash: its "with hashing" time adds one sha256 pass over the file
 * (what a caller must do to get the hash the store computes while streaming). Both use 8 MiB parts.
 */
@Tag("benchmark")
class S3StoreBenchmark {
  static final String BUCKET = "bench";
  @TempDir Path dir;

  @Test
  void storeAgainstTheSdksTransferManager() throws Exception {
    int megabytes = Integer.getInteger("bench.mb", 1024);
    int rounds = Integer.getInteger("bench.rounds", 3);
    int partSize = S3StoreSettings.DEFAULT_PART_SIZE;
    Path source = dir.resolve("source.bin");
    byte[] block = new byte[1 << 20];
    Random random = new Random(1);
    try (OutputStream out = Files.newOutputStream(source)) {
      for (int i = 0; i < megabytes; i++) {
        random.nextBytes(block);
        out.write(block);
      }
    }
    long bytes = Files.size(source);
    String expectedSha = Manifests.sha256(source);
    System.out.printf(
        "file: %d MiB, %d cores, load %.1f%n",
        megabytes,
        Runtime.getRuntime().availableProcessors(),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());

    // What the transfer manager really sent: multipart parts or one PutObject.
    java.util.concurrent.ConcurrentHashMap<String, Integer> requests =
        new java.util.concurrent.ConcurrentHashMap<>();
    software.amazon.awssdk.core.interceptor.ExecutionInterceptor managerRequests =
        new software.amazon.awssdk.core.interceptor.ExecutionInterceptor() {
          @Override
          public void beforeExecution(
              software.amazon.awssdk.core.interceptor.Context.BeforeExecution context,
              software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
            requests.merge(context.request().getClass().getSimpleName(), 1, Integer::sum);
          }
        };
    try (S3ProxyServer server =
            S3ProxyServer.start(Files.createDirectories(dir.resolve("s3")), BUCKET);
        S3Client admin = server.client();
        S3AsyncClient async =
            S3AsyncClient.builder()
                .multipartEnabled(true)
                .multipartConfiguration(
                    m ->
                        m.minimumPartSizeInBytes((long) partSize).thresholdInBytes((long) partSize))
                .endpointOverride(server.endpoint())
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(
                    StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(
                            S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.addExecutionInterceptor(managerRequests))
                .build();
        S3TransferManager transfers = S3TransferManager.builder().s3Client(async).build()) {
      List<double[]> store = new ArrayList<>();
      List<double[]> manager = new ArrayList<>();
      for (int round = 0; round <= rounds; round++) { // round 0 warms up both, not counted
        double[] s = storeRound(server, source, expectedSha, round);
        double[] m = managerRound(transfers, source, expectedSha, round);
        clear(admin);
        if (round > 0) {
          store.add(s);
          manager.add(m);
        }
        System.out.printf(
            "round %d: store up %.2f s down %.2f s | transfer manager up %.2f s (+hash %.2f s)"
                + " down %.2f s (+hash %.2f s)%n",
            round, s[0], s[1], m[0], m[1], m[2], m[3]);
      }
      System.out.println("transfer manager requests: " + new java.util.TreeMap<>(requests));
      double mib = bytes / 1048576.0;
      double storeUp = median(store, 0);
      double storeDown = median(store, 1);
      double tmUp = median(manager, 0);
      double tmHash = median(manager, 1);
      double tmDown = median(manager, 2);
      double tmDownHash = median(manager, 3);
      System.out.printf(
          "median of %d: store upload+hash %.2f s (%.0f MiB/s), download+verify %.2f s (%.0f"
              + " MiB/s), round trip %.2f s%n",
          rounds, storeUp, mib / storeUp, storeDown, mib / storeDown, storeUp + storeDown);
      System.out.printf(
          "  transfer manager upload %.2f s + hash %.2f s, download %.2f s + hash %.2f s, round"
              + " trip with hashing %.2f s (without %.2f s)%n",
          tmUp, tmHash, tmDown, tmDownHash, tmUp + tmHash + tmDown + tmDownHash, tmUp + tmDown);
      System.out.printf(
          "  store / transfer manager (speed, with hashing): upload %.2fx, download %.2fx, round"
              + " trip %.2fx; against the transfer manager without hashing: %.2fx%n",
          (tmUp + tmHash) / storeUp,
          (tmDown + tmDownHash) / storeDown,
          (tmUp + tmHash + tmDown + tmDownHash) / (storeUp + storeDown),
          (tmUp + tmDown) / (storeUp + storeDown));
    }
  }

  /** [upload+hash s, download+verify s] through the store: a writer and a fresh reader cache. */
  private double[] storeRound(S3ProxyServer server, Path source, String sha, int round)
      throws Exception {
    String prefix = "store-" + round;
    S3StoreSettings settings =
        new S3StoreSettings(
            "s3://" + BUCKET + "/" + prefix,
            Optional.of(server.endpoint()),
            Optional.empty(),
            true,
            S3StoreSettings.DEFAULT_PART_SIZE,
            Integer.getInteger("bench.concurrency", S3StoreSettings.DEFAULT_CONCURRENCY));
    Path out = Files.createDirectories(dir.resolve("out-" + round));
    Files.copy(source, out.resolve("model.safetensors"));
    long cache = 4L << 30;
    try (S3ArtifactStore writer =
            new S3ArtifactStore(
                server.client(), settings, new InputCache(dir.resolve("w-" + round), cache));
        S3ArtifactStore reader =
            new S3ArtifactStore(
                server.client(), settings, new InputCache(dir.resolve("r-" + round), cache))) {
      long t0 = System.nanoTime();
      ProducedArtifact artifact = writer.put(out, "checkpoint");
      long t1 = System.nanoTime();
      Path got = reader.resolve(new ArtifactRef(artifact.id(), artifact.uri()));
      long t2 = System.nanoTime();
      assertThat(artifact.files().get(0).sha256()).isEqualTo(sha);
      assertThat(Files.size(got.resolve("model.safetensors"))).isEqualTo(Files.size(source));
      writer.cache().evict(artifact.id());
      reader.cache().evict(artifact.id());
      return new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9};
    }
  }

  /** [upload s, hash s, download s, hash s] with the transfer manager. */
  private double[] managerRound(S3TransferManager transfers, Path source, String sha, int round)
      throws Exception {
    String key = "tm-" + round + "/" + UUID.randomUUID() + "/model.safetensors";
    Path target = dir.resolve("tm-download-" + round + ".bin");
    long t0 = System.nanoTime();
    transfers
        .uploadFile(u -> u.source(source).putObjectRequest(p -> p.bucket(BUCKET).key(key)))
        .completionFuture()
        .join();
    long t1 = System.nanoTime();
    String up = Manifests.sha256(source);
    long t2 = System.nanoTime();
    transfers
        .downloadFile(d -> d.destination(target).getObjectRequest(g -> g.bucket(BUCKET).key(key)))
        .completionFuture()
        .join();
    long t3 = System.nanoTime();
    String down = Manifests.sha256(target);
    long t4 = System.nanoTime();
    assertThat(up).isEqualTo(sha);
    assertThat(down).isEqualTo(sha);
    Files.delete(target);
    return new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9};
  }

  private static void clear(S3Client s3) {
    for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents()) {
      if (!o.key().endsWith("/")) {
        s3.deleteObject(b -> b.bucket(BUCKET).key(o.key()));
      }
    }
  }

  private static double median(List<double[]> rows, int column) {
    double[] v = rows.stream().mapToDouble(r -> r[column]).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
