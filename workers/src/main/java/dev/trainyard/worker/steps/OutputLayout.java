package dev.trainyard.worker.steps;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.SafetensorsException;
import dev.trainyard.worker.tensor.safetensors.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The Hugging Face layout a directory must have to be stored as a {@code checkpoint} or an {@code
 * adapter}: what a team's own trainer (a {@code command} step) wrote is checked before anything is
 * stored, so a checkpoint in the registry always loads in transformers, peft and our own kinds.
 * Only the safetensors headers are read, never the tensors: the check costs milliseconds however
 * large the model, yet a truncated file is caught (its header's offsets point past its end).
 */
public final class OutputLayout {
  public static final String CONFIG = "config.json";
  public static final String ADAPTER_CONFIG = "adapter_config.json";
  public static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";

  /**
   * Far above any real config or index (a 400B model's index is a few MB): a bigger one is a bug or
   * an attack, and must not be parsed into the worker's heap.
   */
  static final long MAX_JSON_BYTES = 64L * 1024 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private OutputLayout() {}

  /** Whether {@code type} has a layout to check ({@code files} is anything at all). */
  public static boolean hasLayout(ArtifactType type) {
    return type == ArtifactType.CHECKPOINT || type == ArtifactType.ADAPTER;
  }

  /**
   * Every problem with {@code dir} as an artifact of {@code type}, each naming its file (relative
   * to {@code dir}); empty when the layout is complete or the type has none.
   */
  public static List<String> problems(ArtifactType type, Path dir) throws IOException {
    List<String> problems = new ArrayList<>();
    switch (type) {
      case CHECKPOINT -> {
        jsonObject(dir, CONFIG, problems);
        weights(dir, problems);
      }
      case ADAPTER -> {
        jsonObject(dir, ADAPTER_CONFIG, problems);
        String absence = absence(dir, ADAPTER_WEIGHTS);
        if (absence == null) {
          header(dir, ADAPTER_WEIGHTS, problems);
        } else if (absence.equals("missing")
            && Files.exists(dir.resolve("adapter_model.bin"), LinkOption.NOFOLLOW_LINKS)) {
          problems.add(
              ADAPTER_WEIGHTS
                  + ": missing; found adapter_model.bin, but adapters must be safetensors "
                  + "(peft: save_pretrained(..., safe_serialization=True))");
        } else {
          problems.add(ADAPTER_WEIGHTS + ": " + absence);
        }
      }
      default -> {}
    }
    return problems;
  }

  /** Whether {@code dir} is complete as an artifact of {@code type}: a resume point must be. */
  public static boolean isComplete(ArtifactType type, Path dir) {
    try {
      return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && problems(type, dir).isEmpty();
    } catch (IOException unreadable) {
      return false;
    }
  }

  private static void weights(Path dir, List<String> problems) throws IOException {
    Path index = dir.resolve(Checkpoint.INDEX);
    if (Files.exists(index, LinkOption.NOFOLLOW_LINKS)) {
      for (String shard : shards(dir, problems)) {
        String absence = absence(dir, shard);
        if (absence == null) {
          header(dir, shard, problems);
        } else {
          problems.add(shard + ": " + absence + " (listed in " + Checkpoint.INDEX + ")");
        }
      }
      return;
    }
    String absence = absence(dir, Checkpoint.SINGLE);
    if (absence == null) {
      header(dir, Checkpoint.SINGLE, problems);
    } else if (!absence.equals("missing")) {
      problems.add(Checkpoint.SINGLE + ": " + absence);
    } else if (Files.exists(dir.resolve("pytorch_model.bin"), LinkOption.NOFOLLOW_LINKS)
        || Files.exists(dir.resolve("pytorch_model.bin.index.json"), LinkOption.NOFOLLOW_LINKS)) {
      problems.add(
          Checkpoint.SINGLE
              + ": missing; found pytorch_model.bin, but checkpoints must be safetensors "
              + "(transformers: save_pretrained(..., safe_serialization=True))");
    } else {
      problems.add(
          Checkpoint.SINGLE + ": missing (or " + Checkpoint.INDEX + " with the shards it lists)");
    }
  }

  /** The shard file names the index's {@code weight_map} lists, in first-seen order. */
  private static Set<String> shards(Path dir, List<String> problems) throws IOException {
    Set<String> shards = new LinkedHashSet<>();
    JsonNode index = jsonObject(dir, Checkpoint.INDEX, problems);
    if (index == null) {
      return shards;
    }
    JsonNode map = index.get("weight_map");
    if (map == null || !map.isObject() || map.isEmpty()) {
      problems.add(Checkpoint.INDEX + ": no weight_map naming the shards");
      return shards;
    }
    for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) {
      JsonNode shard = it.next();
      if (!shard.isTextual() || !isPlainName(shard.asText())) {
        problems.add(
            Checkpoint.INDEX + ": weight_map names a shard outside the checkpoint: " + shard);
      } else {
        shards.add(shard.asText());
      }
    }
    return shards;
  }

  /** A file name in the dir itself: an index must not send the check (or a loader) elsewhere. */
  private static boolean isPlainName(String name) {
    return !name.isEmpty() && !name.contains("/") && !name.equals(".") && !name.equals("..");
  }

  /**
   * Null when {@code name} is a regular file in {@code dir}, else what is wrong with it ({@code
   * missing}, or a link or directory in its place).
   */
  private static String absence(Path dir, String name) {
    Path file = dir.resolve(name);
    if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    return Files.exists(file, LinkOption.NOFOLLOW_LINKS) ? "not a regular file" : "missing";
  }

  private static JsonNode jsonObject(Path dir, String name, List<String> problems)
      throws IOException {
    String absence = absence(dir, name);
    if (absence != null) {
      problems.add(name + ": " + absence);
      return null;
    }
    long size = Files.size(dir.resolve(name));
    if (size > MAX_JSON_BYTES) {
      problems.add(
          name
              + ": "
              + size
              + " bytes, more than a JSON file here may have ("
              + MAX_JSON_BYTES
              + ")");
      return null;
    }
    JsonNode node;
    try {
      node = JSON.readTree(dir.resolve(name).toFile());
    } catch (JsonProcessingException e) {
      problems.add(name + ": not valid JSON: " + e.getOriginalMessage());
      return null;
    }
    if (node == null || !node.isObject()) {
      problems.add(name + ": not a JSON object");
      return null;
    }
    return node;
  }

  private static void header(Path dir, String name, List<String> problems) throws IOException {
    Path file = dir.resolve(name);
    try (SafetensorsFile opened = SafetensorsFile.open(file)) {
      // Opening parses and checks the whole header: dtypes, shapes and offsets within the file.
    } catch (SafetensorsException e) {
      String message = e.getMessage();
      String prefix = file + ": ";
      problems.add(
          name
              + ": "
              + (message.startsWith(prefix) ? message.substring(prefix.length()) : message));
    }
  }
}
