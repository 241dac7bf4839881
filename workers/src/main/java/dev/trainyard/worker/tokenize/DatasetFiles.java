package dev.trainyard.worker.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files of a dataset input, read the way the trainer reads them ({@code
 * trainyard_trainer.data}, docs/trainer.md): a file is itself; a dir with {@code
 * trainyard-datasets.json} is the named subset; any other dir is every {@code .txt}, {@code .jsonl}
 * and {@code .json} file under it, in path order.
 *
 * @param root the dataset input, for file names in messages
 */
public record DatasetFiles(Path root, List<Path> files) {
  static final String MANIFEST = "trainyard-datasets.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * @throws IllegalArgumentException no such subset, or no data files
   */
  public static DatasetFiles resolve(Path input, String subset) throws IOException {
    Path root = input.toRealPath();
    return new DatasetFiles(root, filesOf(root, subset));
  }

  private static List<Path> filesOf(Path path, String subset) throws IOException {
    if (Files.isRegularFile(path)) {
      return List.of(path);
    }
    Path manifest = path.resolve(MANIFEST);
    if (Files.isRegularFile(manifest)) {
      JsonNode subsets = JSON.readTree(manifest.toFile()).path("subsets");
      if (subset == null) {
        throw new IllegalArgumentException(
            "data: the dataset has subsets " + names(subsets) + "; say which with config.subset");
      }
      if (!subsets.has(subset)) {
        throw new IllegalArgumentException(
            "config.subset: the dataset has no subset '" + subset + "'; it has " + names(subsets));
      }
      return filesOf(path.resolve(subsets.get(subset).asText()).toRealPath(), null);
    }
    if (subset != null) {
      Path file = path.resolve(subset).normalize();
      if (!file.startsWith(path) || !Files.exists(file)) {
        throw new IllegalArgumentException(
            "config.subset: the dataset has no file or subset '" + subset + "'");
      }
      return filesOf(file.toRealPath(), null);
    }
    List<Path> files;
    try (Stream<Path> walk = Files.walk(path, FileVisitOption.FOLLOW_LINKS)) {
      files =
          walk.filter(Files::isRegularFile)
              .filter(p -> isData(p.getFileName().toString()))
              .sorted()
              .toList();
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("data: the dataset holds no .txt or .jsonl files");
    }
    return files;
  }

  private static boolean isData(String name) {
    return !name.equals(MANIFEST)
        && (name.endsWith(".txt") || name.endsWith(".jsonl") || name.endsWith(".json"));
  }

  private static List<String> names(JsonNode subsets) {
    return iterable(subsets.fieldNames()).stream().sorted().toList();
  }

  private static List<String> iterable(java.util.Iterator<String> it) {
    var list = new java.util.ArrayList<String>();
    it.forEachRemaining(list::add);
    return list;
  }

  /** A file's name in messages: relative to the dataset. */
  public String name(Path file) {
    return file.equals(root) ? file.getFileName().toString() : root.relativize(file).toString();
  }

  /**
   * The records of the dataset, from its first record: {@code text} for plain text or JSONL with
   * {@code text}, {@code chat} for JSONL with {@code messages}.
   *
   * @throws IllegalArgumentException the first record is neither (named by file:line)
   */
  public String detectRecords() throws IOException {
    for (Path file : files) {
      if (file.getFileName().toString().endsWith(".txt")) {
        return "text";
      }
      try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        int n = 0;
        for (String line; (line = in.readLine()) != null; ) {
          n++;
          if (line.isBlank()) {
            continue;
          }
          JsonNode record;
          try {
            record = JSON.readTree(line);
          } catch (IOException e) {
            throw new InvalidRecordException(name(file) + ":" + n + ": not JSON");
          }
          if (record.has("messages")) {
            return "chat";
          }
          if (record.has("text")) {
            return "text";
          }
          throw new InvalidRecordException(
              name(file)
                  + ":"
                  + n
                  + ": neither a text record ('text') nor a chat record ('messages'); set config.records");
        }
      }
    }
    throw new IllegalArgumentException("data: the dataset has no records");
  }
}
