package dev.trainyard.worker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ProducedArtifact;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class LocalArtifactStoreTest extends ArtifactStoreContractTest {
  private Path root;

  @Override
  protected ArtifactStore newStore(Path scratch) {
    root = scratch;
    return new LocalArtifactStore(scratch);
  }

  @Test
  void storedFilesAndDirectoriesAreReadOnly() throws Exception {
    Path out = newOutputDir("a");
    Files.createDirectories(out.resolve("shard"));
    Files.writeString(out.resolve("shard/part-0"), "x");

    ProducedArtifact artifact = store.put(out, "files");
    Path dir = store.resolve(new ArtifactRef(artifact.id(), artifact.uri()));

    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("shard/part-0"))))
        .isEqualTo("r--r--r--");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("shard"))))
        .isEqualTo("r-xr-xr-x");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
        .isEqualTo("r-xr-xr-x");
  }

  @Test
  void deleteRemovesTheFilesAndManifestAndTheStoreNoLongerHoldsTheId() throws Exception {
    Path out = newOutputDir("a");
    Files.createDirectories(out.resolve("shard"));
    Files.writeString(out.resolve("shard/part-0"), "x");
    ProducedArtifact artifact = store.put(out, "files");
    LocalArtifactStore local = (LocalArtifactStore) store;

    assertThat(local.delete(artifact.id())).isTrue();

    Path artifacts = root.toRealPath().resolve("artifacts");
    assertThat(artifacts.resolve(artifact.id())).doesNotExist();
    assertThat(artifacts.resolve(artifact.id() + ".manifest")).doesNotExist();
    assertThat(store.contains(artifact.id())).isFalse();
    try (Stream<Path> staging = Files.list(root.toRealPath().resolve("tmp"))) {
      assertThat(staging).isEmpty();
    }
    assertThat(local.delete(artifact.id()))
        .isFalse(); // idempotent: a second retention pass is harmless
    assertThatThrownBy(() -> local.delete("../x")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theArtifactLivesUnderItsIdWithItsManifestBeside() throws Exception {
    Path out = newOutputDir("a");
    Files.writeString(out.resolve("f"), "data");

    ProducedArtifact artifact = store.put(out, "files");

    Path dir = root.toRealPath().resolve("artifacts").resolve(artifact.id());
    assertThat(artifact.uri()).isEqualTo("file://" + dir);
    assertThat(dir.resolve("f")).hasContent("data");
    assertThat(dir.resolveSibling(artifact.id() + ".manifest"))
        .hasContent(Manifests.canonicalText(artifact.files()));
    assertThat(out).doesNotExist(); // consumed: moved, not copied
  }

  @Test
  void resolveRefusesUrisOutsideTheStore() throws Exception {
    Path out = newOutputDir("a");
    Files.writeString(out.resolve("f"), "data");
    ProducedArtifact artifact = store.put(out, "files");
    Path artifacts = root.toRealPath().resolve("artifacts");

    assertThatThrownBy(() -> store.resolve(new ArtifactRef(artifact.id(), "file:///etc")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outside the store");
    assertThatThrownBy(
            () ->
                store.resolve(
                    new ArtifactRef(
                        artifact.id(),
                        "file://" + artifacts + "/" + artifact.id() + "/../../../etc")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.resolve(new ArtifactRef("x", "s3://bucket/" + artifact.id())))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.resolve(new ArtifactRef("../../etc", null)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aFailedPutLeavesNoArtifactAndGivesTheOutputBack() throws Exception {
    Path out = newOutputDir("a");
    Files.writeString(out.resolve("good"), "data");
    // A symbolic link cannot be stored: the artifact's bytes would depend on something outside it.
    Path elsewhere = Files.writeString(tmp.resolve("elsewhere"), "outside the output");
    Files.createSymbolicLink(out.resolve("escape"), elsewhere);

    assertThatThrownBy(() -> store.put(out, "files"))
        .isInstanceOf(InvalidArtifactException.class)
        .hasMessageContaining("not a regular file");

    try (Stream<Path> artifacts = Files.list(root.resolve("artifacts"));
        Stream<Path> staging = Files.list(root.resolve("tmp"))) {
      assertThat(artifacts).isEmpty();
      assertThat(staging).isEmpty();
    }
    assertThat(out.resolve("good")).hasContent("data");
  }
}
