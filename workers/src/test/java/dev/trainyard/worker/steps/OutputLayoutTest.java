package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.SafetensorsWriter;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a checkpoint or adapter output must hold, and every problem named when it does not. */
class OutputLayoutTest {
  @TempDir Path dir;

  private void weights(String name, String tensor) throws Exception {
    try (var writer =
        new SafetensorsWriter(
            dir.resolve(name),
            List.of(new TensorSpec(tensor, DType.F32, new long[] {2, 3})),
            Map.of())) {
      writer.writeFloats(tensor, new float[6]);
      writer.finish();
    }
  }

  private void file(String name, String text) throws Exception {
    Files.writeString(dir.resolve(name), text);
  }

  @Test
  void aSingleFileCheckpointAndAShardedOneWithEveryShardAreComplete() throws Exception {
    file("config.json", "{\"model_type\": \"llama\"}");
    weights("model.safetensors", "lm_head.weight");
    assertThat(OutputLayout.problems(ArtifactType.CHECKPOINT, dir)).isEmpty();

    Files.delete(dir.resolve("model.safetensors"));
    weights("model-00001-of-00002.safetensors", "a");
    weights("model-00002-of-00002.safetensors", "b");
    file(
        "model.safetensors.index.json",
        "{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\","
            + " \"b\": \"model-00002-of-00002.safetensors\"}}");
    assertThat(OutputLayout.problems(ArtifactType.CHECKPOINT, dir)).isEmpty();
    assertThat(OutputLayout.isComplete(ArtifactType.CHECKPOINT, dir)).isTrue();
  }

  @Test
  void everyMissingFileIsNamedAtOnce() throws Exception {
    file(
        "model.safetensors.index.json",
        "{\"weight_map\": {\"a\": \"model-00001-of-00003.safetensors\","
            + " \"b\": \"model-00002-of-00003.safetensors\", \"c\": \"model-00003-of-00003.safetensors\"}}");
    weights("model-00002-of-00003.safetensors", "b");

    assertThat(OutputLayout.problems(ArtifactType.CHECKPOINT, dir))
        .containsExactly(
            "config.json: missing",
            "model-00001-of-00003.safetensors: missing (listed in model.safetensors.index.json)",
            "model-00003-of-00003.safetensors: missing (listed in model.safetensors.index.json)");
    assertThat(OutputLayout.isComplete(ArtifactType.CHECKPOINT, dir)).isFalse();
  }

  @Test
  void anIndexCannotPointOutsideTheCheckpoint() throws Exception {
    file("config.json", "{}");
    file("model.safetensors.index.json", "{\"weight_map\": {\"a\": \"../elsewhere.safetensors\"}}");

    assertThat(OutputLayout.problems(ArtifactType.CHECKPOINT, dir))
        .containsExactly(
            "model.safetensors.index.json: weight_map names a shard outside the checkpoint: "
                + "\"../elsewhere.safetensors\"");
  }

  @Test
  void aTruncatedWeightsFileAndABrokenConfigAreRefusedFromTheirHeadersAlone() throws Exception {
    file("config.json", "{\"model_type\": ");
    weights("model.safetensors", "lm_head.weight");
    try (FileChannel channel =
        FileChannel.open(dir.resolve("model.safetensors"), StandardOpenOption.WRITE)) {
      channel.truncate(channel.size() - 1);
    }

    List<String> problems = OutputLayout.problems(ArtifactType.CHECKPOINT, dir);

    assertThat(problems).hasSize(2);
    assertThat(problems.get(0)).startsWith("config.json: not valid JSON");
    assertThat(problems.get(1))
        .startsWith("model.safetensors: tensor 'lm_head.weight': data_offsets [0, 24] out of range")
        .endsWith("(truncated file?)");
  }

  @Test
  void pickleWeightsAreRefusedSayingSafetensorsIsNeeded() throws Exception {
    file("config.json", "{}");
    file("pytorch_model.bin", "not safetensors");
    file("adapter_config.json", "{}");
    file("adapter_model.bin", "not safetensors");

    assertThat(OutputLayout.problems(ArtifactType.CHECKPOINT, dir))
        .containsExactly(
            "model.safetensors: missing; found pytorch_model.bin, but checkpoints must be "
                + "safetensors (transformers: save_pretrained(..., safe_serialization=True))");
    assertThat(OutputLayout.problems(ArtifactType.ADAPTER, dir))
        .containsExactly(
            "adapter_model.safetensors: missing; found adapter_model.bin, but adapters must be "
                + "safetensors (peft: save_pretrained(..., safe_serialization=True))");
  }

  @Test
  void anAdapterNeedsItsConfigAndSafetensorsWeightsInPeftsLayout() throws Exception {
    assertThat(OutputLayout.problems(ArtifactType.ADAPTER, dir))
        .containsExactly("adapter_config.json: missing", "adapter_model.safetensors: missing");

    file("adapter_config.json", "{\"peft_type\": \"LORA\", \"r\": 8}");
    weights("adapter_model.safetensors", "base_model.model.lm_head.lora_A.weight");
    assertThat(OutputLayout.problems(ArtifactType.ADAPTER, dir)).isEmpty();
  }

  @Test
  void aLinkInAWeightsFilesPlaceIsNotAccepted() throws Exception {
    file("config.json", "{}");
    Path real = Files.createTempFile("weights", ".safetensors");
    Files.createSymbolicLink(dir.resolve("model.safetensors"), real);

    assertThat(OutputLayout.problems(ArtifactType.CHECKPOINT, dir))
        .containsExactly("model.safetensors: not a regular file");
    Files.delete(real);
  }

  @Test
  void filesHaveNoLayout() throws Exception {
    assertThat(OutputLayout.hasLayout(ArtifactType.FILES)).isFalse();
    assertThat(OutputLayout.problems(ArtifactType.FILES, dir)).isEmpty();
  }

  @Test
  void anOversizedConfigIsRefusedWithoutBeingRead() throws Exception {
    try (var config = new java.io.RandomAccessFile(dir.resolve("config.json").toFile(), "rw")) {
      config.setLength(OutputLayout.MAX_JSON_BYTES + 1); // sparse: costs no disk
    }
    weights("model.safetensors", "w");

    assertThat(OutputLayout.problems(ArtifactType.CHECKPOINT, dir))
        .containsExactly(
            "config.json: 67108865 bytes, more than a JSON file here may have (67108864)");
  }
}
