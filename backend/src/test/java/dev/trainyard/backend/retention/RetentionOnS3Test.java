package dev.trainyard.backend.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.S3ProxyTestResource;
import dev.trainyard.backend.S3StoreProfile;
import dev.trainyard.backend.api.StoredArtifactFixture;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.home.AttemptFiles;
import dev.trainyard.backend.home.StoredArtifacts;
import dev.trainyard.backend.local.WorkerHomeFiles;
import dev.trainyard.backend.retention.RetentionService.Decision;
import dev.trainyard.backend.retention.RetentionService.Report;
import dev.trainyard.backend.retention.RetentionService.Requester;
import dev.trainyard.backend.security.Caller;
import dev.trainyard.worker.steps.ResumeStates;
import dev.trainyard.worker.store.ArtifactStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Retention with an S3 artifact store configured: the deletion goes through the store, and the
 * artifact's objects leave the bucket (s3proxy, a real S3 API).
 */
@QuarkusTest
@TestProfile(S3StoreProfile.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class RetentionOnS3Test {
  @Inject StoredArtifacts store;
  @Inject RetentionExecutor retention;
  @Inject AttemptFiles attempts;
  @Inject WorkerHomeFiles homeFiles;

  @Test
  void retentionDeletesTheCheckpointsObjectsFromS3AndKeepsTheOthers() throws Exception {
    // The bucket is shared with the other tests of this profile (DatasetsFromS3Test): judge only
    // the objects this test adds.
    List<String> before = keys();
    String doomed =
        StoredArtifactFixture.store(
            store,
            "checkpoint",
            "retention-s3-doomed",
            "default",
            Map.of("config.json", "{}".getBytes(), "model.safetensors", new byte[] {1, 2, 3}));
    String kept =
        StoredArtifactFixture.store(
            store,
            "checkpoint",
            "retention-s3-kept",
            "default",
            Map.of("config.json", "{1}".getBytes()));
    assertThat(added(before)).anyMatch(k -> k.endsWith(doomed + ".manifest")).hasSize(5);

    Report plan =
        new Report(
            "retention-s3",
            null,
            false,
            List.of(
                new Decision(
                    doomed,
                    "run-1",
                    "pretrain",
                    "model",
                    5,
                    OffsetDateTime.now(),
                    false,
                    "DELETE",
                    "older than the last 1 intermediate checkpoint")),
            List.of(),
            5,
            List.of());
    Report done =
        retention.apply(
            plan,
            new Requester(new Caller("ops", Set.of(Caller.ADMIN), Set.of()), "127.0.0.1", "r-1"));

    assertThat(done.errors()).isEmpty();
    assertThat(store.contains(doomed)).isFalse();
    assertThat(store.contains(kept)).isTrue();
    // Only the kept artifact's manifest and file are left in the bucket.
    List<String> left = added(before);
    assertThat(left)
        .containsExactlyInAnyOrder(
            S3ProxyTestResource.PREFIX + "/artifacts/" + kept + ".manifest",
            left.stream().filter(k -> k.endsWith("/config.json")).findFirst().orElseThrow());
    assertThat(left).noneMatch(k -> k.contains(doomed) || k.endsWith("model.safetensors"));
    assertThat(keys()).containsAll(before);
    ArtifactEntity row =
        io.quarkus.narayana.jta.QuarkusTransaction.requiringNew()
            .call(() -> ArtifactEntity.<ArtifactEntity>findById(doomed));
    assertThat(row.deletedAt).isNotNull(); // the catalog keeps a tombstone
  }

  @Test
  void retentionDeletesAnAttemptsResumeStatesFromS3AndLeavesTheOtherAttempts() throws Exception {
    // As a remote worker leaves them: uploaded while training, found by name (ResumeStates).
    ArtifactStore bucket = homeFiles.workerStore().orElseThrow();
    ResumeStates.Stored first = ResumeStates.upload(bucket, "run-r", "train", 1, 20, state(7));
    ResumeStates.Stored second = ResumeStates.upload(bucket, "run-r", "train", 2, 40, state(9));
    assertThat(keys()).contains(S3ProxyTestResource.PREFIX + "/names/" + first.name());

    AttemptFiles.Held held = attempts.resumeStates("run-r", "train", 1).orElseThrow();
    assertThat(held.path()).isEqualTo("store:resume/run-r/train/attempt-1/");
    // The state's bytes plus its identity file.
    assertThat(held.sizeBytes()).isGreaterThan(7);

    Report done =
        retention.apply(
            new Report(
                "retention-s3",
                null,
                false,
                List.of(),
                List.of(
                    new RetentionService.ResumeState(
                        "run-r", "train", 1, held.path(), held.sizeBytes())),
                held.sizeBytes(),
                List.of()),
            new Requester(new Caller("ops", Set.of(Caller.ADMIN), Set.of()), "127.0.0.1", "r-2"));

    assertThat(done.errors()).isEmpty();
    assertThat(attempts.resumeStates("run-r", "train", 1)).isEmpty();
    assertThat(store.contains(first.id())).isFalse();
    assertThat(keys()).noneMatch(k -> k.contains("attempt-1/") || k.contains(first.id()));
    // The other attempt's state is untouched, and a retry still finds it.
    assertThat(store.contains(second.id())).isTrue();
    assertThat(ResumeStates.newestBefore(bucket, "run-r", "train", 3).orElseThrow().step())
        .isEqualTo(40);
    assertThat(ResumeStates.delete(bucket, "run-r", "train", 2)).isEqualTo(1);
    assertThat(keys()).noneMatch(k -> k.contains("/names/"));
  }

  private static java.nio.file.Path state(int bytes) throws java.io.IOException {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("resume-state");
    java.nio.file.Files.write(dir.resolve("trainer_state.pt"), new byte[bytes]);
    return dir;
  }

  private static List<String> added(List<String> before) {
    return keys().stream().filter(k -> !before.contains(k)).toList();
  }

  /** The bucket's object keys under the store's prefix (the filesystem backend's dirs left out). */
  private static List<String> keys() {
    try (S3Client s3 = S3ProxyTestResource.client()) {
      return s3
          .listObjectsV2Paginator(
              b -> b.bucket(S3ProxyTestResource.BUCKET).prefix(S3ProxyTestResource.PREFIX + "/"))
          .contents()
          .stream()
          .map(S3Object::key)
          .filter(k -> !k.endsWith("/"))
          .toList();
    }
  }
}
