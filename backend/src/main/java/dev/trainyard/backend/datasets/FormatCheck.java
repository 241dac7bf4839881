package dev.trainyard.backend.datasets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Detects and checks the format of every file of a staged dataset, record by record, streamed. A
 * {@code .txt} file is plain text (documents separated by a blank line, as the trainer reads it); a
 * {@code .jsonl} (or {@code .json}) file holds one JSON object per line, all of one kind, set by
 * its first record. Every bad record is reported with its file, line and field; the list is capped
 * at {@link #MAX_LISTED} and the rest are counted.
 */
public final class FormatCheck {
  /** Problems listed one by one; beyond this they are only counted. */
  public static final int MAX_LISTED = 100;

  /** The trainer's subset index of a generated dataset directory: metadata, not records. */
  static final String SUBSET_INDEX = "trainyard-datasets.json";

  private static final Set<String> OPENAI_ROLES =
      Set.of("system", "developer", "user", "assistant", "tool");
  private static final Set<String> SHAREGPT_FROM =
      Set.of("system", "human", "user", "gpt", "assistant", "tool", "function_call", "observation");

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A bad record: {@code line} is 0 for a problem with the whole file. */
  public record Problem(String file, long line, String field, String message) {
    /** {@code train.jsonl:1234: messages[2].content} */
    public String path() {
      return file + (line > 0 ? ":" + line : "") + (field == null ? "" : ": " + field);
    }
  }

  public record FileFormat(DatasetFormat format, long records) {}

  /**
   * @param files per relative path, in path order
   * @param problems the first {@link #MAX_LISTED}
   * @param problemCount all of them
   */
  public record Result(Map<String, FileFormat> files, List<Problem> problems, long problemCount) {
    public boolean ok() {
      return problemCount == 0;
    }

    /** The dataset's format: its files' one format, or {@code mixed}. */
    public DatasetFormat format() {
      var formats =
          files.values().stream()
              .map(FileFormat::format)
              .filter(f -> f != DatasetFormat.METADATA)
              .distinct()
              .toList();
      return formats.size() == 1 ? formats.get(0) : DatasetFormat.MIXED;
    }

    public long records() {
      return files.values().stream().mapToLong(FileFormat::records).sum();
    }
  }

  private final List<Problem> problems = new ArrayList<>();
  private long problemCount;

  private FormatCheck() {}

  /** Checks every regular file under {@code dir} (links were refused when it was staged). */
  public static Result check(Path dir) throws IOException {
    FormatCheck check = new FormatCheck();
    Map<String, FileFormat> files = new TreeMap<>();
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(dir)) {
      paths = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
    }
    boolean tokenizer = Files.isRegularFile(dir.resolve(TOKENIZER_JSON), LinkOption.NOFOLLOW_LINKS);
    for (Path file : paths) {
      String relative = dir.relativize(file).toString().replace('\\', '/');
      files.put(
          relative, tokenizer ? check.tokenizerFile(file, relative) : check.file(file, relative));
    }
    if (files.isEmpty()) {
      check.add(new Problem("$", 0, null, "the dataset holds no files"));
    }
    return new Result(files, List.copyOf(check.problems), check.problemCount);
  }

  private void add(Problem problem) {
    problemCount++;
    if (problems.size() < MAX_LISTED) {
      problems.add(problem);
    }
  }

  static final String TOKENIZER_JSON = "tokenizer.json";

  /** What a tokenizer directory may hold besides {@code tokenizer.json}. */
  private static final Set<String> TOKENIZER_FILES =
      Set.of(
          "tokenizer_config.json",
          "special_tokens_map.json",
          "added_tokens.json",
          "generation_config.json",
          "chat_template.jinja");

  /**
   * A directory with {@code tokenizer.json} at its top is a tokenizer: that file must be what the
   * Hugging Face tokenizers library reads (an object with a {@code model}), its config an object
   * whose {@code chat_template}, when present, is text.
   */
  private FileFormat tokenizerFile(Path file, String relative) throws IOException {
    if (!relative.equals(TOKENIZER_JSON) && !TOKENIZER_FILES.contains(relative)) {
      add(
          new Problem(
              relative,
              0,
              null,
              "a tokenizer directory holds tokenizer.json and "
                  + String.join(", ", new java.util.TreeSet<>(TOKENIZER_FILES))
                  + " only"));
      return new FileFormat(DatasetFormat.MIXED, 0);
    }
    if (relative.endsWith(".jinja")) {
      return new FileFormat(DatasetFormat.METADATA, 0);
    }
    JsonNode node;
    try (InputStream in = open(file)) {
      node = JSON.readTree(in);
    } catch (JsonProcessingException e) {
      long line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      add(new Problem(relative, Math.max(line, 0), null, "not JSON: " + e.getOriginalMessage()));
      return new FileFormat(DatasetFormat.MIXED, 0);
    }
    if (node == null || !node.isObject()) {
      add(new Problem(relative, 0, null, "must be a JSON object"));
      return new FileFormat(DatasetFormat.MIXED, 0);
    }
    if (relative.equals(TOKENIZER_JSON)) {
      if (!node.path("model").isObject() || !node.path("model").path("type").isTextual()) {
        add(
            new Problem(
                relative, 0, "model", "a tokenizers file names its model and the model's type"));
      }
      return new FileFormat(DatasetFormat.TOKENIZER, 1);
    }
    JsonNode template = node.path("chat_template");
    if (relative.equals("tokenizer_config.json")
        && !template.isMissingNode()
        && !template.isNull()
        && !template.isTextual()
        && !template.isArray()) {
      add(new Problem(relative, 0, "chat_template", "must be a Jinja template (text)"));
    }
    return new FileFormat(DatasetFormat.METADATA, 0);
  }

  private FileFormat file(Path file, String relative) throws IOException {
    String name = file.getFileName().toString();
    if (name.equals(SUBSET_INDEX)) {
      return new FileFormat(DatasetFormat.METADATA, 0);
    }
    if (name.endsWith(".txt")) {
      return text(file, relative);
    }
    if (name.endsWith(".jsonl") || name.endsWith(".json")) {
      return jsonl(file, relative);
    }
    add(
        new Problem(
            relative,
            0,
            null,
            "unsupported file type: a dataset holds .txt and .jsonl files"
                + (name.endsWith(".parquet")
                    ? " (Parquet is not supported; convert it to JSONL)"
                    : "")));
    return new FileFormat(DatasetFormat.MIXED, 0);
  }

  /** The longest record (line) read into memory: 16 MiB. */
  static final int MAX_LINE_BYTES = 16 << 20;

  private static BoundedLines lines(InputStream in) {
    return new BoundedLines(in, MAX_LINE_BYTES);
  }

  private static InputStream open(Path file) throws IOException {
    return Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
  }

  private FileFormat text(Path file, String relative) throws IOException {
    long documents = 0;
    long line = 0;
    long problemsBefore = problemCount;
    boolean inDocument = false;
    try (InputStream in = open(file)) {
      BoundedLines lines = lines(in);
      for (String text; (text = lines.next()) != null; ) {
        line++;
        if (text == BoundedLines.NOT_UTF8) {
          add(new Problem(relative, line, null, "not UTF-8 text"));
          continue;
        }
        // A line too long to keep is text all the same.
        if (text != BoundedLines.TOO_LONG && text.isBlank()) {
          inDocument = false;
        } else if (!inDocument) {
          inDocument = true;
          documents++;
        }
      }
    }
    if (documents == 0 && problemCount == problemsBefore) {
      add(new Problem(relative, 0, null, "holds no text"));
    }
    return new FileFormat(DatasetFormat.TEXT, documents);
  }

  private FileFormat jsonl(Path file, String relative) throws IOException {
    DatasetFormat fileFormat = null;
    long fileFormatLine = 0;
    long records = 0;
    long line = 0;
    long problemsBefore = problemCount;
    try (InputStream in = open(file)) {
      BoundedLines lines = lines(in);
      for (String text; (text = lines.next()) != null; ) {
        line++;
        if (text == BoundedLines.NOT_UTF8) {
          add(new Problem(relative, line, null, "not UTF-8 text"));
          continue;
        }
        if (text == BoundedLines.TOO_LONG) {
          add(
              new Problem(
                  relative, line, null, "a record longer than " + MAX_LINE_BYTES + " bytes"));
          continue;
        }
        if (text.isBlank()) {
          continue;
        }
        JsonNode record;
        try {
          record = JSON.readTree(text);
        } catch (JsonProcessingException e) {
          add(
              new Problem(
                  relative,
                  line,
                  null,
                  "not JSON (" + e.getOriginalMessage().split("\n")[0] + ")"));
          continue;
        }
        if (record == null || !record.isObject()) {
          add(new Problem(relative, line, null, "each line must be a JSON object"));
          continue;
        }
        DatasetFormat kind = kindOf(record);
        if (kind == null) {
          add(
              new Problem(
                  relative,
                  line,
                  null,
                  "unknown record: expected 'text', 'messages' (role/content), 'conversations'"
                      + " (from/value), 'prompt'/'chosen'/'rejected', 'prompt'/'response' or"
                      + " 'question'/'answer'"));
          continue;
        }
        if (fileFormat == null) {
          fileFormat = kind;
          fileFormatLine = line;
        } else if (kind != fileFormat) {
          add(
              new Problem(
                  relative,
                  line,
                  null,
                  "a "
                      + kind.wireName()
                      + " record in a "
                      + fileFormat.wireName()
                      + " file (line "
                      + fileFormatLine
                      + " set the file's format)"));
          continue;
        }
        long countBefore = problemCount;
        checkRecord(kind, record, relative, line);
        if (problemCount == countBefore) {
          records++;
        }
      }
    }
    if (records == 0 && problemCount == problemsBefore) {
      add(new Problem(relative, 0, null, "holds no records"));
    }
    return new FileFormat(fileFormat == null ? DatasetFormat.MIXED : fileFormat, records);
  }

  /** The kind a record's keys say it is, or null when they say none. */
  private static DatasetFormat kindOf(JsonNode record) {
    if (record.has("messages")) {
      return DatasetFormat.CHAT;
    }
    if (record.has("conversations")) {
      return DatasetFormat.CHAT;
    }
    if (record.has("chosen") || record.has("rejected")) {
      return DatasetFormat.PREFERENCE;
    }
    if (record.has("text")) {
      return DatasetFormat.JSONL_TEXT;
    }
    if (record.has("answer") || record.has("choices")) {
      return DatasetFormat.EVAL;
    }
    if (record.has("response") || record.has("instruction")) {
      return DatasetFormat.INSTRUCTION;
    }
    return null;
  }

  private void checkRecord(DatasetFormat kind, JsonNode record, String file, long line) {
    switch (kind) {
      case JSONL_TEXT -> requireText(record, "text", file, line, false);
      case PREFERENCE -> {
        requireText(record, "prompt", file, line, true);
        requireText(record, "chosen", file, line, false);
        requireText(record, "rejected", file, line, false);
      }
      case EVAL -> {
        String question = record.has("question") ? "question" : "prompt";
        requireText(record, question, file, line, false);
        JsonNode choices = record.get("choices");
        JsonNode answer = record.get("answer");
        if (choices == null) {
          requireText(record, "answer", file, line, false);
        } else if (!choices.isArray() || choices.size() < 2) {
          add(new Problem(file, line, "choices", "must be an array of at least two strings"));
        } else {
          for (int i = 0; i < choices.size(); i++) {
            if (!choices.get(i).isTextual()) {
              add(new Problem(file, line, "choices[" + i + "]", "must be a string"));
            }
          }
          if (answer == null || !answer.canConvertToInt() || !answer.isIntegralNumber()) {
            add(new Problem(file, line, "answer", "must be the index of the right choice"));
          } else if (answer.asInt() < 0 || answer.asInt() >= choices.size()) {
            add(new Problem(file, line, "answer", "must be between 0 and " + (choices.size() - 1)));
          }
        }
      }
      case INSTRUCTION -> {
        if (record.has("instruction")) {
          requireText(record, "instruction", file, line, false);
          requireText(record, "output", file, line, false);
          if (record.has("input") && !record.get("input").isTextual()) {
            add(new Problem(file, line, "input", "must be a string when given"));
          }
        } else {
          requireText(record, "prompt", file, line, false);
          requireText(record, "response", file, line, false);
        }
      }
      case CHAT -> {
        if (record.has("messages")) {
          turns(record.get("messages"), "messages", "role", "content", OPENAI_ROLES, file, line);
        } else {
          turns(
              record.get("conversations"),
              "conversations",
              "from",
              "value",
              SHAREGPT_FROM,
              file,
              line);
        }
      }
      default -> throw new IllegalStateException("no record check for " + kind);
    }
  }

  private void requireText(
      JsonNode record, String field, String file, long line, boolean emptyAllowed) {
    JsonNode value = record.get(field);
    if (value == null || value.isNull()) {
      add(new Problem(file, line, field, "required"));
    } else if (!value.isTextual()) {
      add(new Problem(file, line, field, "must be a string"));
    } else if (!emptyAllowed && value.asText().isEmpty()) {
      add(new Problem(file, line, field, "must not be empty"));
    }
  }

  /** A conversation: a non-empty array of turns, each with a known speaker and string text. */
  private void turns(
      JsonNode turns,
      String field,
      String speakerKey,
      String textKey,
      Set<String> speakers,
      String file,
      long line) {
    if (turns == null || !turns.isArray() || turns.isEmpty()) {
      add(new Problem(file, line, field, "must be a non-empty array of turns"));
      return;
    }
    boolean answered = false;
    boolean badSpeaker = false;
    int i = 0;
    for (Iterator<JsonNode> it = turns.elements(); it.hasNext(); i++) {
      JsonNode turn = it.next();
      String at = field + "[" + i + "]";
      if (!turn.isObject()) {
        add(new Problem(file, line, at, "must be an object"));
        continue;
      }
      JsonNode speaker = turn.get(speakerKey);
      if (speaker == null || !speaker.isTextual()) {
        badSpeaker = true;
        add(new Problem(file, line, at + "." + speakerKey, "required, a string"));
      } else if (!speakers.contains(speaker.asText())) {
        badSpeaker = true;
        add(
            new Problem(
                file,
                line,
                at + "." + speakerKey,
                "'" + speaker.asText() + "' is not one of " + new java.util.TreeSet<>(speakers)));
      } else if (speaker.asText().equals("assistant") || speaker.asText().equals("gpt")) {
        answered = true;
      }
      JsonNode text = turn.get(textKey);
      if (text == null || !text.isTextual()) {
        add(new Problem(file, line, at + "." + textKey, "required, a string"));
      }
    }
    if (!answered && !badSpeaker) {
      add(new Problem(file, line, field, "has no assistant turn: nothing to train on"));
    }
  }

  /** The per-file formats as stored in {@code dataset_version.file_formats}. */
  public static Map<String, Object> asRow(Result result) {
    Map<String, Object> row = new LinkedHashMap<>();
    result
        .files()
        .forEach(
            (path, f) ->
                row.put(path, Map.of("format", f.format().wireName(), "records", f.records())));
    return row;
  }
}
