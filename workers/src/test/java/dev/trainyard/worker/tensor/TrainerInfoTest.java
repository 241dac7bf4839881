package dev.trainyard.worker.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.worker.tensor.safetensors.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a tensor step's output says about how to prompt it (trainyard.json): a pruned pretrained
 * model is not a chat model, a merge with a chat-tuned ingredient is, and checkpoints from other
 * tools get no record (the evaluator's fallback).
 */
class TrainerInfoTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private Path model(String name, Boolean chat) throws IOException {
    Path dir =
        TestCheckpoints.write(
            tmp.resolve(name), TestCheckpoints.random(name.length(), 1.0), DType.F32);
    if (chat != null) {
      Files.writeString(
          dir.resolve("trainyard.json"),
          "{\"kind\": \"pretrain\", \"chat\": "
              + chat
              + ", \"chat_template\": \"T\", \"tokenizer\": {\"kind\": \"byte\", \"sha256\": null},"
              + " \"parameters\": 1}");
    }
    return dir;
  }

  private JsonNode info(Path out) throws IOException {
    Path f = out.resolve("trainyard.json");
    return Files.isRegularFile(f) ? JSON.readTree(f.toFile()) : null;
  }

  @Test
  void aPrunedPretrainedModelStaysAPlainTextModelWithItsTokenizerAndItsOwnParameterCount()
      throws IOException {
    Path out = tmp.resolve("pruned");
    var result =
        TensorSteps.run(
            "prune",
            Map.of(
                "model",
                "${{ inputs.m }}",
                "method",
                "magnitude",
                "config",
                Map.of("sparsity", 0.5)),
            Map.of("m", model("base", false)),
            out,
            null,
            () -> false,
            s -> {});
    JsonNode info = info(out);
    assertThat(info.get("chat").asBoolean()).isFalse();
    assertThat(info.get("kind").asText()).isEqualTo("prune");
    assertThat(info.get("method").asText()).isEqualTo("magnitude");
    assertThat(info.get("tokenizer").get("kind").asText()).isEqualTo("byte");
    assertThat(info.get("chat_template").asText()).isEqualTo("T");
    assertThat(info.get("parameters").asLong())
        .isEqualTo(result.metrics().get("parameters").longValue());
    assertThat(result.files()).containsKey("trainyard.json");
  }

  @Test
  void aMergeWithAChatTunedIngredientIsAChatModelAndForeignCheckpointsGetNoRecord()
      throws IOException {
    Path out = tmp.resolve("merged");
    TensorSteps.run(
        "merge",
        Map.of(
            "method",
            "linear",
            "models",
            List.of(Map.of("model", "${{ inputs.a }}"), Map.of("model", "${{ inputs.b }}"))),
        Map.of("a", model("aaa", false), "b", model("bbbb", true)),
        out,
        null,
        () -> false,
        s -> {});
    assertThat(info(out).get("chat").asBoolean()).isTrue();

    Path foreign = tmp.resolve("foreign");
    TensorSteps.run(
        "merge",
        Map.of(
            "method",
            "linear",
            "models",
            List.of(Map.of("model", "${{ inputs.c }}"), Map.of("model", "${{ inputs.d }}"))),
        Map.of("c", model("ccccc", null), "d", model("dddddd", null)),
        foreign,
        null,
        () -> false,
        s -> {});
    assertThat(info(foreign)).isNull();
  }
}
