package dev.trainyard.worker.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shard layout of docs/tokens-format.md, on Trainyard's own byte tokenizer (written by the
 * trainer): ids 0-255 are the UTF-8 bytes, so every expectation is plain arithmetic.
 */
class TokenizationTest {
  @TempDir static Path shared;
  static Path byteTokenizer;
  @TempDir Path dir;

  @BeforeAll
  static void writeTheTrainersByteTokenizer() throws Exception {
    byteTokenizer = Files.createDirectories(shared.resolve("byte"));
    ProcessBuilder python =
        new ProcessBuilder(
                "/usr/bin/python3",
                "-c",
                "import sys; from trainyard_trainer.tokenizer import ByteTokenizer; ByteTokenizer().save(sys.argv[1])",
                byteTokenizer.toString())
            .inheritIO();
    python.environment().put("PYTHONPATH", Path.of("src/main/python").toAbsolutePath().toString());
    Process p = python.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
  }

  private Tokenization.Summary tokenize(String text, Map<String, Object> config) throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("docs.txt"), text, StandardCharsets.UTF_8);
    Map<String, Object> body = new HashMap<>();
    body.put("data", data.toString());
    body.put("tokenizer", byteTokenizer.toString());
    body.put("config", config);
    return TokenizeStep.run(
        body, "d".repeat(64), dir.resolve("out"), dir, (t, d, o) -> {}, line -> {});
  }

  private static String documents(int n) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < n; i++) {
      text.append("document number ").append(i).append("\n\n");
    }
    return text.toString();
  }

  @Test
  void aSmallVocabularyIsStoredAsUint16AndEveryDocumentEndsWithEos() throws Exception {
    Tokenization.Summary summary = tokenize("hi\n\nyou there\n", Map.of("eval_fraction", 0.0));
    TokenShardsReader shards = TokenShardsReader.read(dir.resolve("out"), "train");
    JsonNode index = shards.index();
    assertThat(index.get("format").asText()).isEqualTo("trainyard-tokens/1");
    assertThat(index.get("dtype").asText()).isEqualTo("uint16");
    assertThat(index.get("vocab_size").asInt()).isEqualTo(262);
    assertThat(index.get("eos_id").asInt()).isEqualTo(257);
    assertThat(index.get("bos_id").asInt()).isEqualTo(256);
    assertThat(index.at("/source/dataset").asText()).isEqualTo("d".repeat(64));
    assertThat(index.at("/settings/add_eos").asBoolean()).isTrue();
    assertThat(index.has("eval")).isFalse();
    assertThat(shards.documents())
        .containsExactly(
            new int[] {'h', 'i', 257},
            new int[] {'y', 'o', 'u', ' ', 't', 'h', 'e', 'r', 'e', 257});
    assertThat(summary.tokens()).isEqualTo(13);
    assertThat(Files.size(dir.resolve("out/train/shard-00000.tokens"))).isEqualTo(26);
  }

  @Test
  void shardsAreCutAtDocumentBoundariesOnceTheyHoldShardBytes() throws Exception {
    // 20 documents of 18-19 tokens; 64 bytes = 32 uint16 ids: a shard closes after its second
    // document.
    tokenize(documents(20), Map.of("eval_fraction", 0.0, "shard_bytes", 64));
    TokenShardsReader shards = TokenShardsReader.read(dir.resolve("out"), "train");
    JsonNode listed = shards.index().at("/splits/train/shards");
    assertThat(listed).hasSize(10);
    for (JsonNode shard : listed) {
      assertThat(shard.get("documents").asInt()).isEqualTo(2);
      assertThat(shard.get("tokens").asText()).matches("train/shard-\\d{5}\\.tokens");
    }
    assertThat(shards.documents()).hasSize(20);
    assertThat(texts(shards).get(7)).isEqualTo("document number 7");
  }

  @Test
  void theEvalSplitIsASeededDrawThatAnotherRunRepeatsAndAnotherSeedChanges() throws Exception {
    tokenize(documents(400), Map.of("eval_fraction", 0.25, "seed", 7));
    List<String> eval = texts(TokenShardsReader.read(dir.resolve("out"), "eval"));
    List<String> train = texts(TokenShardsReader.read(dir.resolve("out"), "train"));
    assertThat(eval.size() + train.size()).isEqualTo(400);
    assertThat(eval.size()).isBetween(70, 130);
    assertThat(eval).doesNotContainAnyElementsOf(train);

    tokenize(documents(400), Map.of("eval_fraction", 0.25, "seed", 7));
    assertThat(texts(TokenShardsReader.read(dir.resolve("out"), "eval"))).isEqualTo(eval);
    tokenize(documents(400), Map.of("eval_fraction", 0.25, "seed", 8));
    assertThat(texts(TokenShardsReader.read(dir.resolve("out"), "eval"))).isNotEqualTo(eval);
  }

  @Test
  void aDatasetTooSmallForTheDrawStillGetsOneHeldOutDocument() throws Exception {
    tokenize(documents(3), Map.of("eval_fraction", 0.01));
    assertThat(texts(TokenShardsReader.read(dir.resolve("out"), "eval"))).hasSize(1);
    assertThat(texts(TokenShardsReader.read(dir.resolve("out"), "train"))).hasSize(2);
  }

  @Test
  void longDocumentsAreCroppedToMaxTokensPerDoc() throws Exception {
    tokenize("abcdefghij\n\nxy\n", Map.of("eval_fraction", 0.0, "max_tokens_per_doc", 4));
    assertThat(TokenShardsReader.read(dir.resolve("out"), "train").documents())
        .containsExactly(new int[] {'a', 'b', 'c', 'd'}, new int[] {'x', 'y', 257});
  }

  @Test
  void aTokenizerWithoutTokenizerJsonIsRefusedByName() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    assertThatThrownBy(() -> TokenizerFiles.read(empty))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tokenizer: tokenizer.json is missing from the tokenizer artifact");
  }

  private static List<String> texts(TokenShardsReader shards) {
    return shards.documents().stream()
        .map(
            ids ->
                new String(
                    bytes(java.util.Arrays.copyOf(ids, ids.length - 1)), StandardCharsets.UTF_8))
        .toList();
  }

  private static byte[] bytes(int[] ids) {
    byte[] out = new byte[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = (byte) ids[i];
    }
    return out;
  }
}
