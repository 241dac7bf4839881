package dev.trainyard.backend.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.S3ProxyTestResource;
import dev.trainyard.backend.S3StoreProfile;
import dev.trainyard.backend.api.StoredArtifactFixture;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.home.StoredArtifacts;
import dev.trainyard.backend.retention.RetentionService.Decision;
import dev.trainyard.backend.retention.RetentionService.Report;
import dev.trainyard.backend.retention.RetentionService.Requester;
import dev.trainyard.backend.security.Caller;
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

  @Test
  void retentionDeletesTheCheckpointsObjectsFromS3AndKeepsTheOthers() throws Exception {
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
    assertThat(keys()).anyMatch(k -> k.endsWith(doomed + ".manifest")).hasSize(5);

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
    assertThat(keys())
        .containsExactlyInAnyOrder(
            S3ProxyTestResource.PREFIX + "/artifacts/" + kept + ".manifest",
            keys().stream().filter(k -> k.endsWith("/config.json")).findFirst().orElseThrow());
    assertThat(keys()).noneMatch(k -> k.contains(doomed) || k.endsWith("model.safetensors"));
    ArtifactEntity row =
        io.quarkus.narayana.jta.QuarkusTransaction.requiringNew()
            .call(() -> ArtifactEntity.<ArtifactEntity>findById(doomed));
    assertThat(row.deletedAt).isNotNull(); // the catalog keeps a tombstone
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
