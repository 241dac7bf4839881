package dev.trainyard.worker.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;

/**
 * A tokenizer as a checkpoint or tokenizer artifact holds it: {@code tokenizer.json} and, when
 * there is one, {@code tokenizer_config.json} (special tokens, chat template).
 *
 * @param vocabSize the full vocabulary, added and special tokens included (max id + 1)
 * @param bosId the id of {@code bos_token} in tokenizer_config.json, or null
 */
public record TokenizerFiles(
    Path dir,
    Path tokenizerJson,
    Path tokenizerConfig,
    String sha256,
    int vocabSize,
    Integer bosId,
    Integer eosId,
    Integer padId) {
  public static final String TOKENIZER_JSON = "tokenizer.json";
  public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * @throws IllegalArgumentException the dir holds no readable tokenizer.json
   */
  public static TokenizerFiles read(Path dir) throws IOException {
    Path json = dir.resolve(TOKENIZER_JSON);
    if (!Files.isRegularFile(json)) {
      throw new IllegalArgumentException(
          "tokenizer: " + TOKENIZER_JSON + " is missing from the tokenizer artifact");
    }
    byte[] bytes = Files.readAllBytes(json);
    JsonNode tokenizer;
    try {
      tokenizer = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "tokenizer: " + TOKENIZER_JSON + " is not JSON: " + e.getMessage());
    }
    Path config = dir.resolve(TOKENIZER_CONFIG);
    JsonNode configJson = null;
    if (Files.isRegularFile(config)) {
      try {
        configJson = JSON.readTree(config.toFile());
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "tokenizer: " + TOKENIZER_CONFIG + " is not JSON: " + e.getMessage());
      }
    } else {
      config = null;
    }
    return new TokenizerFiles(
        dir,
        json,
        config,
        sha256(bytes),
        vocabSize(tokenizer),
        idOf(tokenizer, configJson, "bos_token"),
        idOf(tokenizer, configJson, "eos_token"),
        idOf(tokenizer, configJson, "pad_token"));
  }

  /** Max id + 1 over the model's vocabulary (a map for BPE/WordPiece, a list for Unigram). */
  static int vocabSize(JsonNode tokenizer) {
    long max = -1;
    JsonNode vocab = tokenizer.path("model").path("vocab");
    if (vocab.isObject()) {
      for (Iterator<JsonNode> ids = vocab.elements(); ids.hasNext(); ) {
        max = Math.max(max, ids.next().asLong());
      }
    } else if (vocab.isArray()) {
      max = vocab.size() - 1;
    }
    for (JsonNode added : tokenizer.path("added_tokens")) {
      max = Math.max(max, added.path("id").asLong(-1));
    }
    if (max < 0) {
      throw new IllegalArgumentException("tokenizer: " + TOKENIZER_JSON + " has no vocabulary");
    }
    return Math.toIntExact(max + 1);
  }

  /** The id of a special token named in tokenizer_config.json (a string or an AddedToken). */
  private static Integer idOf(JsonNode tokenizer, JsonNode config, String name) {
    if (config == null) {
      return null;
    }
    JsonNode value = config.path(name);
    String text = value.isTextual() ? value.asText() : value.path("content").asText(null);
    if (text == null) {
      return null;
    }
    for (JsonNode added : tokenizer.path("added_tokens")) {
      if (text.equals(added.path("content").asText())) {
        return added.path("id").asInt();
      }
    }
    JsonNode id = tokenizer.path("model").path("vocab").path(text);
    return id.isNumber() ? id.asInt() : null;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether token ids fit uint16 (docs/tokens-format.md: uint16 when vocab_size <= 65536). */
  public String dtype() {
    return vocabSize <= 65536 ? "uint16" : "uint32";
  }

  /** What DJL is told: no truncation, no padding, the tokenizer's own special-token handling. */
  static Map<String, String> djlOptions() {
    return Map.of("truncation", "false", "padding", "false");
  }
}
