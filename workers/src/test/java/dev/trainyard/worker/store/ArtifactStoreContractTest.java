package dev.trainyard.worker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ManifestEntry;
import dev.trainyard.workflow.ProducedArtifact;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link ArtifactStore} promises. Each implementation's test extends this and says how
 * to make a fresh store.
 */
public abstract class ArtifactStoreContractTest {
  @TempDir protected Path tmp;
  protected ArtifactStore store;

  /** A fresh, empty store; {@code scratch} is a private temp dir it may use. */
  protected abstract ArtifactStore newStore(Path scratch) throws IOException;

  @BeforeEach
  void createStore() throws IOException {
    store = newStore(Files.createDirectories(tmp.resolve("store")));
  }

  /** A step output dir on the same file system as the store would be (the worker's work dir). */
  protected Path newOutputDir(String name) throws IOException {
    return Files.createDirectories(tmp.resolve("outputs").resolve(name));
  }

  @Test
  void theIdIsTheSha256OfTheCanonicalManifestText() throws Exception {
    Path out = newOutputDir("a");
    Files.writeString(out.resolve("weights.bin"), "0123456789");
    Files.createDirectories(out.resolve("tokenizer"));
    Files.writeString(out.resolve("tokenizer/vocab.txt"), "hello\nworld\n");

    ProducedArtifact artifact = store.put(out, "checkpoint");

    String expectedText =
        sha256("hello\nworld\n")
            + "  12  tokenizer/vocab.txt\n"
            + sha256("0123456789")
            + "  10  weights.bin\n";
    assertThat(artifact.id()).isEqualTo(sha256(expectedText));
    assertThat(artifact.type()).isEqualTo("checkpoint");
    assertThat(artifact.sizeBytes()).isEqualTo(22);
    assertThat(artifact.files())
        .containsExactly(
            new ManifestEntry("tokenizer/vocab.txt", 12, sha256("hello\nworld\n")),
            new ManifestEntry("weights.bin", 10, sha256("0123456789")));
  }

  @Test
  void aStoredArtifactResolvesToItsFiles() throws Exception {
    Path out = newOutputDir("a");
    Files.writeString(out.resolve("report.json"), "{\"accuracy\":0.7}");

    ProducedArtifact artifact = store.put(out, "eval-report");
    Path dir = store.resolve(new ArtifactRef(artifact.id(), artifact.uri()));

    assertThat(dir.resolve("report.json")).hasContent("{\"accuracy\":0.7}");
    assertThat(store.contains(artifact.id())).isTrue();
  }

  @Test
  void storingIdenticalContentTwiceGivesTheSameIdAndOneCopy() throws Exception {
    Path first = newOutputDir("first");
    Path second = newOutputDir("second");
    for (Path out : new Path[] {first, second}) {
      Files.writeString(out.resolve("model.safetensors"), "same bytes");
    }

    ProducedArtifact a = store.put(first, "checkpoint");
    ProducedArtifact b = store.put(second, "checkpoint");

    assertThat(b.id()).isEqualTo(a.id());
    assertThat(b.uri()).isEqualTo(a.uri());
    assertThat(store.resolve(new ArtifactRef(b.id(), b.uri())).resolve("model.safetensors"))
        .hasContent("same bytes");
  }

  @Test
  void differentContentGetsADifferentId() throws Exception {
    Path first = newOutputDir("first");
    Path second = newOutputDir("second");
    Files.writeString(first.resolve("x"), "one");
    Files.writeString(second.resolve("x"), "two");

    assertThat(store.put(first, "files").id()).isNotEqualTo(store.put(second, "files").id());
  }

  @Test
  void anEmptyOutputIsAValidArtifact() throws Exception {
    ProducedArtifact artifact = store.put(newOutputDir("empty"), "files");

    assertThat(artifact.id()).isEqualTo(sha256(""));
    assertThat(artifact.files()).isEmpty();
    assertThat(store.contains(artifact.id())).isTrue();
  }

  @Test
  void anUnknownArtifactDoesNotResolve() throws Exception {
    String missing = sha256("never stored");
    assertThat(store.contains(missing)).isFalse();
    assertThatThrownBy(() -> store.resolve(new ArtifactRef(missing, null)))
        .isInstanceOf(IOException.class);
  }

  @Test
  void aDeletedArtifactIsGoneAndOthersStay() throws Exception {
    Path doomedOut = newOutputDir("doomed");
    Files.writeString(doomedOut.resolve("weights.bin"), "old");
    Path keptOut = newOutputDir("kept");
    Files.writeString(keptOut.resolve("weights.bin"), "new");
    ProducedArtifact doomed = store.put(doomedOut, "checkpoint");
    ProducedArtifact kept = store.put(keptOut, "checkpoint");

    assertThat(store.delete(doomed.id())).isTrue();

    assertThat(store.contains(doomed.id())).isFalse();
    assertThatThrownBy(() -> store.resolve(new ArtifactRef(doomed.id(), doomed.uri())))
        .isInstanceOf(IOException.class);
    assertThat(store.resolve(new ArtifactRef(kept.id(), kept.uri())).resolve("weights.bin"))
        .hasContent("new");
  }

  @Test
  void aNamePointsAtAnArtifactIsListedUnderItsPrefixAndIsReplacedOrRemoved() throws Exception {
    Path out = newOutputDir("named");
    Files.writeString(out.resolve("state.pt"), "12345");
    ProducedArtifact first = store.put(out, "resume-state");
    Path other = newOutputDir("other");
    Files.writeString(other.resolve("state.pt"), "678");
    ProducedArtifact second = store.put(other, "resume-state");

    store.putName("resume/run-1/train/attempt-1/step-20", first.id());
    store.putName("resume/run-1/train/attempt-2/step-40", second.id());
    store.putName("resume/run-10/train/attempt-1/step-5", second.id());

    assertThat(store.names("resume/run-1/"))
        .containsExactly(
            java.util.Map.entry("resume/run-1/train/attempt-1/step-20", first.id()),
            java.util.Map.entry("resume/run-1/train/attempt-2/step-40", second.id()));
    assertThat(store.sizeOf(first.id())).isEqualTo(5);
    store.putName("resume/run-1/train/attempt-1/step-20", second.id());
    assertThat(store.names("resume/run-1/train/attempt-1/"))
        .containsExactly(java.util.Map.entry("resume/run-1/train/attempt-1/step-20", second.id()));
    assertThat(store.deleteName("resume/run-1/train/attempt-1/step-20")).isTrue();
    assertThat(store.deleteName("resume/run-1/train/attempt-1/step-20")).isFalse();
    assertThat(store.names("resume/run-1/train/attempt-1/")).isEmpty();
    // A name only points: the artifact stays until deleted itself.
    assertThat(store.contains(second.id())).isTrue();
    assertThat(store.names("nothing/")).isEmpty();
  }

  @Test
  void badNamesAreRefusedAndNothingIsWritten() throws Exception {
    ProducedArtifact stored = store.put(newOutputDir("n"), "files");

    for (String bad : java.util.List.of("../escape", "a/../b", "a//b", "", "a b", "/abs")) {
      assertThatThrownBy(() -> store.putName(bad, stored.id()))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> store.putName("ok/name", "not-an-id"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.names("../")).isInstanceOf(IllegalArgumentException.class);
    assertThat(store.names("ok/")).isEmpty();
    assertThat(store.sizeOf(sha256("never stored"))).isEqualTo(-1);
  }

  @Test
  void deletingAnArtifactTheStoreDoesNotHoldSaysSo() throws Exception {
    assertThat(store.delete(sha256("never stored"))).isFalse();
  }

  @Test
  void deleteRefusesWhatIsNotAnArtifactId() throws Exception {
    ProducedArtifact stored = store.put(newOutputDir("a"), "files");

    assertThatThrownBy(() -> store.delete("../" + stored.id()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(store.contains(stored.id())).isTrue();
  }

  @Test
  void identicalContentStoredAgainAfterADeleteIsStoredAfresh() throws Exception {
    Path first = newOutputDir("first");
    Files.writeString(first.resolve("x"), "same");
    ProducedArtifact artifact = store.put(first, "files");
    store.delete(artifact.id());

    Path second = newOutputDir("second");
    Files.writeString(second.resolve("x"), "same");
    ProducedArtifact again = store.put(second, "files");

    assertThat(again.id()).isEqualTo(artifact.id());
    assertThat(store.resolve(new ArtifactRef(again.id(), again.uri())).resolve("x"))
        .hasContent("same");
  }

  protected static String sha256(String text) throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
