package dev.trainyard.backend.checkpoints;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.intake.Intake.Issue;
import dev.trainyard.backend.intake.Intake.Rejected;
import dev.trainyard.pipeline.kind.ModelFamilies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a Hugging Face checkpoint folder is, read from its files the way transformers reads them:
 * {@code config.json}'s {@code model_type}, the weights ({@code model.safetensors}, or {@code
 * model.safetensors.index.json} and every shard it lists; headers only), and the tokenizer files. A
 * folder the trainer could not load is refused with every problem at its file's path.
 */
final class HfCheckpoint {
  private HfCheckpoint() {}

  static final String CONFIG = "config.json";
  static final String WEIGHTS = "model.safetensors";
  static final String INDEX = "model.safetensors.index.json";
  static final String TOKENIZER = "tokenizer.json";
  static final String TOKENIZER_CONFIG = "tokenizer_config.json";
  static final String CHAT_TEMPLATE = "chat_template.jinja";

  /** The trainer's byte tokenizer marks its tokenizer_config.json so (tokenizer.py). */
  static final String MARKER = "trainyard_tokenizer";

  static final String BYTE_MARKER = "byte-v1";

  /** JSON files read whole; a config or index larger than this is not one. */
  private static final long MAX_JSON_BYTES = 16L << 20;

  /** How many missing tensors of one shard are named before the rest are counted. */
  private static final int MAX_TENSORS_LISTED = 10;

  /**
   * @param tokenizer {@code byte} (Trainyard's byte tokenizer), {@code hf} (a tokenizer.json),
   *     {@code none}
   * @param dtype the tensors' dtype as torch names it, or {@code mixed}
   */
  record Facts(
      String family, long parameters, String dtype, String tokenizer, boolean chatTemplate) {}

  /** The folder's facts, or {@link Rejected} with every problem found. */
  static Facts inspect(Path dir, ObjectMapper json) throws IOException {
    List<Issue> problems = new ArrayList<>();
    String family = family(dir, json, problems);
    List<SafetensorsHeaders.Tensor> tensors = weights(dir, json, problems);
    JsonNode tokenizerConfig = readJson(dir, TOKENIZER_CONFIG, json, problems, false);
    String tokenizer = tokenizer(dir, tokenizerConfig, problems);
    if (!problems.isEmpty()) {
      throw new Rejected(problems);
    }
    long parameters = tensors.stream().mapToLong(SafetensorsHeaders.Tensor::elements).sum();
    Set<String> dtypes = new TreeSet<>();
    tensors.forEach(t -> dtypes.add(t.dtype()));
    String dtype = dtypes.size() == 1 ? dtypes.iterator().next() : "mixed";
    JsonNode template = tokenizerConfig == null ? null : tokenizerConfig.get("chat_template");
    boolean chat =
        isRegular(dir.resolve(CHAT_TEMPLATE))
            || (template != null
                && ((template.isTextual() && !template.asText().isBlank())
                    || (template.isArray() && !template.isEmpty())));
    return new Facts(family, parameters, dtype, tokenizer, chat);
  }

  private static String family(Path dir, ObjectMapper json, List<Issue> problems)
      throws IOException {
    JsonNode config = readJson(dir, CONFIG, json, problems, true);
    if (config == null) {
      return null;
    }
    JsonNode type = config.get("model_type");
    if (type == null || !type.isTextual()) {
      problems.add(
          new Issue(
              CONFIG + ".model_type",
              "missing: it names the model family, one of " + ModelFamilies.describe()));
      return null;
    }
    if (!ModelFamilies.isSupported(type.asText())) {
      problems.add(
          new Issue(
              CONFIG + ".model_type",
              "'"
                  + type.asText()
                  + "' is not a supported model family; supported: "
                  + ModelFamilies.describe()));
      return null;
    }
    return type.asText();
  }

  /** Every tensor of the checkpoint's safetensors weights; problems added when they are not. */
  private static List<SafetensorsHeaders.Tensor> weights(
      Path dir, ObjectMapper json, List<Issue> problems) throws IOException {
    if (isRegular(dir.resolve(WEIGHTS))) {
      List<SafetensorsHeaders.Tensor> tensors =
          SafetensorsHeaders.read(dir.resolve(WEIGHTS), WEIGHTS, json, problems);
      return tensors == null ? List.of() : tensors;
    }
    if (!Files.exists(dir.resolve(INDEX), LinkOption.NOFOLLOW_LINKS)) {
      problems.add(missingWeights(dir));
      return List.of();
    }
    JsonNode index = readJson(dir, INDEX, json, problems, true);
    if (index == null) {
      return List.of();
    }
    JsonNode map = index.get("weight_map");
    if (map == null || !map.isObject() || map.isEmpty()) {
      problems.add(
          new Issue(INDEX + ".weight_map", "missing: it maps each tensor to its shard file"));
      return List.of();
    }
    // Shard → the tensors the index puts there, in order, so problems come out sorted.
    Map<String, Set<String>> shards = new TreeMap<>();
    for (var entry : map.properties()) {
      if (!entry.getValue().isTextual()) {
        problems.add(
            new Issue(INDEX + ".weight_map." + entry.getKey(), "not the name of a shard file"));
        continue;
      }
      shards.computeIfAbsent(entry.getValue().asText(), s -> new TreeSet<>()).add(entry.getKey());
    }
    List<SafetensorsHeaders.Tensor> tensors = new ArrayList<>();
    for (var shard : shards.entrySet()) {
      String name = shard.getKey();
      if (!name.matches("[A-Za-z0-9._-]+\\.safetensors") || name.startsWith(".")) {
        problems.add(
            new Issue(
                INDEX + ".weight_map",
                "shard '" + name + "' is not a .safetensors file name beside the index"));
        continue;
      }
      Path file = dir.resolve(name);
      if (!isRegular(file)) {
        problems.add(
            new Issue(
                name,
                "missing: "
                    + INDEX
                    + " lists this shard for "
                    + shard.getValue().size()
                    + " tensor(s)"));
        continue;
      }
      List<SafetensorsHeaders.Tensor> found = SafetensorsHeaders.read(file, name, json, problems);
      if (found == null) {
        continue;
      }
      Set<String> names = new TreeSet<>();
      found.forEach(t -> names.add(t.name()));
      List<String> absent = shard.getValue().stream().filter(t -> !names.contains(t)).toList();
      absent.stream()
          .limit(MAX_TENSORS_LISTED)
          .forEach(
              t ->
                  problems.add(
                      new Issue(name + ":" + t, "listed in " + INDEX + " but not in this shard")));
      if (absent.size() > MAX_TENSORS_LISTED) {
        problems.add(
            new Issue(
                name,
                "and " + (absent.size() - MAX_TENSORS_LISTED) + " more listed tensors not in it"));
      }
      tensors.addAll(found);
    }
    return tensors;
  }

  /** Why there are no weights to read: torch pickles only, or nothing at all. */
  private static Issue missingWeights(Path dir) throws IOException {
    List<String> bins;
    List<String> shards;
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      bins =
          names.stream().filter(n -> n.endsWith(".bin") || n.endsWith(".bin.index.json")).toList();
      shards = names.stream().filter(n -> n.endsWith(".safetensors")).toList();
    }
    if (!shards.isEmpty()) {
      return new Issue(
          INDEX, "missing: the shards " + shards + " need the index that maps tensors to them");
    }
    if (!bins.isEmpty()) {
      return new Issue(
          bins.get(0),
          "torch .bin weights only ("
              + String.join(", ", bins)
              + "): Trainyard reads safetensors, never pickles; convert with"
              + " model.save_pretrained(dir, safe_serialization=True)");
    }
    return new Issue(WEIGHTS, "missing: no " + WEIGHTS + " and no " + INDEX);
  }

  private static String tokenizer(Path dir, JsonNode tokenizerConfig, List<Issue> problems) {
    boolean hasJson = isRegular(dir.resolve(TOKENIZER));
    JsonNode marker = tokenizerConfig == null ? null : tokenizerConfig.get(MARKER);
    if (marker != null && !marker.isNull()) {
      // The trainer refuses a marker it does not know, and a byte marker without its file.
      if (!marker.asText().equals(BYTE_MARKER)) {
        problems.add(
            new Issue(
                TOKENIZER_CONFIG + "." + MARKER,
                "'"
                    + marker.asText()
                    + "' is not a tokenizer this trainer knows ("
                    + BYTE_MARKER
                    + ")"));
        return null;
      }
      if (!hasJson) {
        problems.add(
            new Issue(
                TOKENIZER,
                "missing: " + TOKENIZER_CONFIG + " says " + MARKER + ": " + BYTE_MARKER));
        return null;
      }
      return "byte";
    }
    return hasJson ? "hf" : "none";
  }

  /** The file's JSON object; null (with a problem when it is required or unreadable) otherwise. */
  private static JsonNode readJson(
      Path dir, String name, ObjectMapper json, List<Issue> problems, boolean required)
      throws IOException {
    Path file = dir.resolve(name);
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      if (required) {
        problems.add(new Issue(name, "missing: a Hugging Face checkpoint folder has one"));
      }
      return null;
    }
    if (!isRegular(file) || Files.size(file) > MAX_JSON_BYTES) {
      problems.add(
          new Issue(name, "not a regular JSON file of at most " + MAX_JSON_BYTES + " bytes"));
      return null;
    }
    try {
      JsonNode node = json.readTree(file.toFile());
      if (node != null && node.isObject()) {
        return node;
      }
    } catch (IOException e) {
      // answered below
    }
    problems.add(new Issue(name, "not a JSON object"));
    return null;
  }

  private static boolean isRegular(Path file) {
    return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS);
  }
}
