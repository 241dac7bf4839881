package dev.trainyard.worker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ProducedArtifact;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/** The contract on a real S3 API (s3proxy, filesystem backend), plus what only S3 has. */
class S3ArtifactStoreTest extends ArtifactStoreContractTest {
  static final String BUCKET = "trainyard-test";
  static Path serverDir;
  static S3ProxyServer server;
  static S3Client admin;

  private String prefix;
  private final List<AutoCloseable> opened = new java.util.ArrayList<>();

  @BeforeAll
  static void startServer() throws Exception {
    serverDir = Files.createTempDirectory("s3proxy-");
    server = S3ProxyServer.start(serverDir, BUCKET);
    admin = server.client();
  }

  @AfterAll
  static void stopServer() throws Exception {
    admin.close();
    server.close();
    FileTrees.deleteRecursively(serverDir);
  }

  @AfterEach
  void closeStores() throws Exception {
    for (AutoCloseable c : opened) {
      c.close();
    }
  }

  @Override
  protected ArtifactStore newStore(Path scratch) throws IOException {
    prefix = "t-" + UUID.randomUUID(); // a fresh, empty store in the shared bucket
    return worker("first", 1 << 30, S3StoreSettings.DEFAULT_PART_SIZE, null);
  }

  /** Another worker on the same store: its own input cache, so it downloads what it reads. */
  private S3ArtifactStore worker(
      String name, long cacheBytes, int partSize, ExecutionInterceptor interceptor)
      throws IOException {
    return worker(name, cacheBytes, partSize, interceptor, 4);
  }

  private S3ArtifactStore worker(
      String name, long cacheBytes, int partSize, ExecutionInterceptor interceptor, int parallel)
      throws IOException {
    S3StoreSettings settings =
        new S3StoreSettings(
            "s3://" + BUCKET + "/" + prefix,
            Optional.of(server.endpoint()),
            Optional.empty(),
            true,
            partSize,
            parallel);
    ClientOverrideConfiguration.Builder override = ClientOverrideConfiguration.builder();
    if (interceptor != null) {
      override.addExecutionInterceptor(interceptor);
    }
    S3ArtifactStore store =
        new S3ArtifactStore(
            server.client(override.build()),
            settings,
            new InputCache(tmp.resolve("cache-" + name + "-" + UUID.randomUUID()), cacheBytes));
    opened.add(store);
    return store;
  }

  private ProducedArtifact putBytes(ArtifactStore into, String name, byte[] bytes)
      throws IOException {
    Path out = newOutputDir(name + "-" + UUID.randomUUID());
    Files.write(out.resolve("weights.bin"), bytes);
    return into.put(out, "checkpoint");
  }

  private List<String> keysInBucket() {
    return admin
        .listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix + "/"))
        .contents()
        .stream()
        .map(S3Object::key)
        .filter(k -> !k.endsWith("/")) // the filesystem backend lists its directories too
        .toList();
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  @Test
  void aMultipartArtifactIsVerifiedAndReadByAnotherWorker() throws Exception {
    byte[] bytes = random(12 << 20, 1); // three 5 MiB parts (the last one short)
    S3ArtifactStore writer = worker("writer", 1 << 30, 5 << 20, null);
    ProducedArtifact artifact = putBytes(writer, "big", bytes);

    Path dir = worker("reader", 1 << 30, 5 << 20, null).resolve(ref(artifact));

    assertThat(Files.readAllBytes(dir.resolve("weights.bin"))).isEqualTo(bytes);
    assertThat(artifact.files().get(0).sha256())
        .isEqualTo(Manifests.sha256(dir.resolve("weights.bin")));
    assertThat(keysInBucket())
        .contains(prefix + "/artifacts/" + artifact.id() + ".manifest")
        .hasSize(2);
  }

  @Test
  void oneTransferAtATimeStillMovesEveryPart() throws Exception {
    byte[] bytes = random(12 << 20, 6);
    ProducedArtifact artifact = putBytes(worker("writer", 1 << 30, 5 << 20, null, 1), "big", bytes);

    Path dir = worker("reader", 1 << 30, 5 << 20, null, 1).resolve(ref(artifact));

    assertThat(Files.readAllBytes(dir.resolve("weights.bin"))).isEqualTo(bytes);
  }

  @Test
  void aCorruptedObjectInTheBucketIsRefusedOnDownloadNamingTheFile() throws Exception {
    ProducedArtifact artifact = putBytes(store, "good", "the right bytes".getBytes());
    String fileKey =
        keysInBucket().stream().filter(k -> k.endsWith("/weights.bin")).findFirst().orElseThrow();
    // Same length, other bytes: only the hash tells.
    admin.putObject(b -> b.bucket(BUCKET).key(fileKey), RequestBody.fromString("the wrong bytes"));
    S3ArtifactStore reader = worker("reader", 1 << 30, 5 << 20, null);

    assertThatThrownBy(() -> reader.resolve(ref(artifact)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("file 'weights.bin'")
        .hasMessageContaining("is corrupted")
        .hasMessageContaining(artifact.files().get(0).sha256());
    assertThat(reader.cache().ids()).isEmpty();
    assertThat(reader.cache().usedBytes()).isZero();
    try (var left = Files.list(reader.cache().dir())) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("tmp");
    }
  }

  @Test
  void aTamperedManifestIsRefused() throws Exception {
    ProducedArtifact artifact = putBytes(store, "good", "bytes".getBytes());
    String key = prefix + "/artifacts/" + artifact.id() + ".manifest";
    var metadata = admin.headObject(b -> b.bucket(BUCKET).key(key)).metadata();
    admin.putObject(
        b -> b.bucket(BUCKET).key(key).metadata(metadata),
        RequestBody.fromString(Manifests.canonicalText(artifact.files()).replace("5  ", "6  ")));

    assertThatThrownBy(() -> worker("reader", 1 << 30, 5 << 20, null).resolve(ref(artifact)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("manifest of artifact " + artifact.id())
        .hasMessageContaining("corrupted");
  }

  @Test
  void theInputCacheStaysWithinItsLimitEvictingTheLeastRecentlyUsed() throws Exception {
    ProducedArtifact a = putBytes(store, "a", random(100, 1));
    ProducedArtifact b = putBytes(store, "b", random(100, 2));
    ProducedArtifact c = putBytes(store, "c", random(100, 3));
    S3ArtifactStore reader = worker("reader", 250, 5 << 20, null);

    reader.resolve(ref(a));
    reader.resolve(ref(b));
    reader.resolve(ref(a)); // a is now the more recently used
    Path cDir = reader.resolve(ref(c));

    assertThat(reader.cache().ids()).containsExactly(a.id(), c.id());
    assertThat(reader.cache().usedBytes()).isEqualTo(200).isLessThanOrEqualTo(250);
    assertThat(reader.cache().dir().resolve(b.id())).doesNotExist();
    assertThat(cDir.resolve("weights.bin")).hasBinaryContent(random(100, 3));
  }

  @Test
  void anArtifactAStepIsReadingIsNeverEvicted() throws Exception {
    ProducedArtifact a = putBytes(store, "a", random(100, 1));
    ProducedArtifact b = putBytes(store, "b", random(100, 2));
    ProducedArtifact c = putBytes(store, "c", random(100, 3));
    S3ArtifactStore reader = worker("reader", 250, 5 << 20, null);

    try (ArtifactStore.Lease inUseA = reader.use(ref(a));
        ArtifactStore.Lease inUseB = reader.use(ref(b))) {
      assertThatThrownBy(() -> reader.use(ref(c)))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("inputs of running steps");
      assertThat(inUseA.dir().resolve("weights.bin")).exists();
      assertThat(inUseB.dir().resolve("weights.bin")).exists();
    }
    // Once the steps are done, their inputs make room.
    assertThat(reader.resolve(ref(c)).resolve("weights.bin")).hasBinaryContent(random(100, 3));
    assertThat(reader.cache().usedBytes()).isLessThanOrEqualTo(250);
  }

  @Test
  void anArtifactLargerThanTheCacheIsRefusedWithTheLimit() throws Exception {
    ProducedArtifact a = putBytes(store, "a", random(300, 1));
    S3ArtifactStore reader = worker("reader", 250, 5 << 20, null);

    assertThatThrownBy(() -> reader.resolve(ref(a)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("larger than the worker's input cache (250 bytes)");
  }

  @Test
  void twoStepsResolvingTheSameArtifactDownloadItOnce() throws Exception {
    ProducedArtifact artifact = putBytes(store, "shared", random(7 << 20, 4));
    AtomicInteger fileGets = new AtomicInteger();
    ExecutionInterceptor counter =
        new ExecutionInterceptor() {
          @Override
          public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes a) {
            if (context.request() instanceof GetObjectRequest get
                && get.key().contains("/uploads/")) {
              fileGets.incrementAndGet();
            }
          }
        };
    S3ArtifactStore reader = worker("reader", 1 << 30, 5 << 20, counter);
    CyclicBarrier together = new CyclicBarrier(2);
    ExecutorService steps = Executors.newFixedThreadPool(2);
    try {
      List<Future<ArtifactStore.Lease>> leases =
          List.of(
              steps.submit(
                  () -> {
                    together.await();
                    return reader.use(ref(artifact));
                  }),
              steps.submit(
                  () -> {
                    together.await();
                    return reader.use(ref(artifact));
                  }));
      Path first = leases.get(0).get().dir();
      Path second = leases.get(1).get().dir();

      assertThat(first).isEqualTo(second);
      assertThat(first.resolve("weights.bin")).hasBinaryContent(random(7 << 20, 4));
      assertThat(fileGets.get()).isEqualTo(2); // one download: two 5 MiB ranges of one file
      leases.get(0).get().close();
      leases.get(1).get().close();
    } finally {
      steps.shutdownNow();
    }
  }

  @Test
  void aFailedMultipartUploadLeavesNoManifestNoFilesAndNoPendingUpload() throws Exception {
    AtomicInteger parts = new AtomicInteger();
    ExecutionInterceptor failSecondPart =
        new ExecutionInterceptor() {
          @Override
          public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes a) {
            if (context.request() instanceof UploadPartRequest && parts.incrementAndGet() == 2) {
              throw new IllegalStateException("connection reset (injected)");
            }
          }
        };
    S3ArtifactStore flaky = worker("flaky", 1 << 30, 5 << 20, failSecondPart);
    Path out = newOutputDir("big");
    Files.writeString(out.resolve("config.json"), "{}");
    Files.write(out.resolve("weights.bin"), random(12 << 20, 5));

    assertThatThrownBy(() -> flaky.put(out, "checkpoint")).hasMessageContaining("injected");

    assertThat(keysInBucket()).isEmpty();
    assertThat(admin.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix + "/")).uploads())
        .isEmpty();
    assertThat(out.resolve("weights.bin")).exists(); // the step's output is still there
    assertThat(Files.readAllBytes(out.resolve("weights.bin"))).isEqualTo(random(12 << 20, 5));
  }

  @Test
  void deletingRemovesTheManifestAndEveryObjectOfTheArtifact() throws Exception {
    ProducedArtifact doomed = putBytes(store, "doomed", random(100, 1));
    ProducedArtifact kept = putBytes(store, "kept", random(100, 2));

    assertThat(store.delete(doomed.id())).isTrue();

    assertThat(keysInBucket())
        .hasSize(2)
        .contains(prefix + "/artifacts/" + kept.id() + ".manifest")
        .noneMatch(k -> k.contains(doomed.id()));
  }

  @Test
  void aStepKeepsItsInputWhenTheArtifactIsDeletedMeanwhile() throws Exception {
    ProducedArtifact artifact = putBytes(store, "a", random(100, 1));
    S3ArtifactStore reader = worker("reader", 1 << 30, 5 << 20, null);

    try (ArtifactStore.Lease input = reader.use(ref(artifact))) {
      reader.delete(artifact.id());
      assertThat(input.dir().resolve("weights.bin")).hasBinaryContent(random(100, 1));
    }
    assertThat(reader.cache().ids()).isEmpty();
    assertThat(reader.cache().usedBytes()).isZero();
  }

  @Test
  void resolveRefusesUrisOfOtherStores() throws Exception {
    ProducedArtifact artifact = putBytes(store, "a", random(10, 1));

    assertThat(artifact.uri())
        .isEqualTo("s3://" + BUCKET + "/" + prefix + "/artifacts/" + artifact.id());
    assertThatThrownBy(() -> store.resolve(new ArtifactRef(artifact.id(), "file:///etc")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                store.resolve(
                    new ArtifactRef(artifact.id(), "s3://other-bucket/artifacts/" + artifact.id())))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.resolve(new ArtifactRef("../../etc", null)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static ArtifactRef ref(ProducedArtifact a) {
    return new ArtifactRef(a.id(), a.uri());
  }
}
