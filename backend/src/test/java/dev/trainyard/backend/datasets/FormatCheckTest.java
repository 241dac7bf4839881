package dev.trainyard.backend.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The record-by-record format check, on files in a temp dir (no server needed). */
class FormatCheckTest {
  @TempDir Path dir;

  private List<String> problems() throws IOException {
    return FormatCheck.check(dir).problems().stream()
        .map(p -> p.path() + " " + p.message())
        .toList();
  }

  @Test
  void aTokenizerDirectoryIsItsOwnFormatAndItsFilesMustBeWhatTheLibraryReads() throws IOException {
    Files.writeString(
        dir.resolve("tokenizer.json"), "{\"version\": \"1.0\", \"model\": {\"type\": \"BPE\"}}");
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"{{ x }}\"}");
    FormatCheck.Result ok = FormatCheck.check(dir);
    assertThat(ok.ok()).isTrue();
    assertThat(ok.format()).isEqualTo(DatasetFormat.TOKENIZER);

    Files.writeString(dir.resolve("tokenizer.json"), "{\"version\": \"1.0\"}");
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 3}");
    Files.writeString(dir.resolve("notes.txt"), "hello\n");
    assertThat(problems())
        .containsExactly(
            "notes.txt a tokenizer directory holds tokenizer.json and added_tokens.json, "
                + "chat_template.jinja, generation_config.json, special_tokens_map.json, "
                + "tokenizer_config.json only",
            "tokenizer.json: model a tokenizers file names its model and the model's type",
            "tokenizer_config.json: chat_template must be a Jinja template (text)");
  }

  @Test
  void evaluationTasksAreCheckedForTheirAnswers() throws IOException {
    Files.writeString(
        dir.resolve("mc.jsonl"),
        """
        {"question": "2+2?", "choices": ["3", "4"], "answer": 1}
        {"question": "2+3?", "choices": ["5", "6"], "answer": 2}
        {"question": "2+4?", "choices": ["6"], "answer": 0}
        {"question": "2+5?", "choices": ["7", 8], "answer": "0"}
        """);
    assertThat(problems())
        .containsExactly(
            "mc.jsonl:2: answer must be between 0 and 1",
            "mc.jsonl:3: choices must be an array of at least two strings",
            "mc.jsonl:4: choices[1] must be a string",
            "mc.jsonl:4: answer must be the index of the right choice");
  }

  @Test
  void aRecordOfAnotherKindThanTheFilesFirstIsRefusedWithTheLineThatSetTheFormat()
      throws IOException {
    Files.writeString(
        dir.resolve("mixed.jsonl"),
        "\n{\"text\": \"a\"}\n{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n[1]\n");
    assertThat(problems())
        .containsExactly(
            "mixed.jsonl:3 a preference record in a jsonl-text file (line 2 set the file's format)",
            "mixed.jsonl:4 each line must be a JSON object");
  }

  @Test
  void textMustBeUtf8AndFilesMustHoldSomething() throws IOException {
    Files.write(
        dir.resolve("latin1.txt"), new byte[] {'o', 'k', '\n', (byte) 0xe9, '\n', 'o', 'k', '\n'});
    Files.write(
        dir.resolve("latin1.jsonl"),
        concat(
            "{\"text\": \"ok\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8),
            new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xe9, '"', '}', '\n'}));
    Files.writeString(dir.resolve("empty.jsonl"), "\n\n");
    Files.writeString(dir.resolve("blank.txt"), "  \n");
    assertThat(problems())
        .containsExactly(
            "blank.txt holds no text",
            "empty.jsonl holds no records",
            "latin1.jsonl:2 not UTF-8 text",
            "latin1.txt:2 not UTF-8 text");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void countsAndFormatsAreKeptPerFile() throws IOException {
    Files.writeString(dir.resolve("docs.txt"), "one\ndoc\n\n\ntwo\n\nthree");
    Files.writeString(dir.resolve("t.jsonl"), "{\"text\": \"x\"}\r\n{\"text\": \"y\"}\r\n");
    FormatCheck.Result result = FormatCheck.check(dir);
    assertThat(result.ok()).isTrue();
    assertThat(result.files().get("docs.txt"))
        .isEqualTo(new FormatCheck.FileFormat(DatasetFormat.TEXT, 3));
    assertThat(result.files().get("t.jsonl"))
        .isEqualTo(new FormatCheck.FileFormat(DatasetFormat.JSONL_TEXT, 2));
    assertThat(result.format()).isEqualTo(DatasetFormat.MIXED);
    assertThat(result.records()).isEqualTo(5);
  }

  @Test
  void aLineLongerThanTheBoundIsSkippedToItsEndWithoutBeingKept() throws IOException {
    BoundedLines lines =
        new BoundedLines(
            new java.io.ByteArrayInputStream(
                ("short\r\n" + "x".repeat(100) + "\naft\u00e9r\nlast")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8)),
            10);
    List<String> read = new ArrayList<>();
    for (String line; (line = lines.next()) != null; ) {
      read.add(line == BoundedLines.TOO_LONG ? "<too long>" : line);
    }
    assertThat(read).containsExactly("short", "<too long>", "aft\u00e9r", "last");
  }
}
