package dev.trainyard.worker.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ids the tokenize step writes are those of an independent implementation: the pure JavaScript
 * {@code @huggingface/tokenizers}, run by node on the same tokenizer.json, over thousands of varied
 * lines (many scripts, emoji and ZWJ sequences, code, whitespace runs).
 */
class TokenizerParityTest {
  static final int LINES = 3000;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String[] PIECES = {
    "The quick brown fox jumps over the lazy dog.",
    "It's 3.14159, not 22/7 — or is it? Don't, we'll, they've.",
    "1,000,000 2024-05-17 0x1F600 1e-9 +44 20 7946 0958",
    "机器学习是人工智能的一个分支。",
    "東京は日本の首都です。カタカナとひらがな。",
    "안녕하세요, 세계! 한국어 문장입니다.",
    "مرحبا بالعالم، كيف حالك اليوم؟",
    "שלום עולם",
    "नमस्ते दुनिया, यह एक परीक्षण वाक्य है।",
    "Привет, мир! Ёжик в тумане, щука и съезд.",
    "สวัสดีชาวโลก ภาษาไทย",
    "Καλημέρα κόσμε, ελληνικά.",
    "🙂😀🎉",
    "👩‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumbs, 🇯🇵🇫🇷 flags, 1️⃣ keycap, 🧑‍💻 coder",
    "def square(x):\n\treturn x ** 2  # square it\n",
    "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }",
    "<div class=\"note\">&amp; &lt;tag&gt;</div>",
    "{\"key\": [1, 2.5, null, true], \"nested\": {\"a\": \"b\"}}",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
    "    ",
    "\t\t\t",
    "\n\n\n",
    " \u00a0 \u3000 ",
    "e\u0301 A\u030a \u200b zero\u200dwidth \u200fRTL\u200e",
    "ÀÉÎÕÜ àéîõü ß ẞ Æ œ",
    "...!!!???;;;:::---___",
    "https://example.com/path?q=a+b&x=%20#frag",
    "CamelCaseIdentifier snake_case_identifier kebab-case-identifier",
  };

  private static final String[] SEPARATORS = {" ", "", "\n", "  ", "\t", " \n ", "   "};

  static List<String> variedLines(long seed) {
    Random random = new Random(seed);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < LINES; i++) {
      StringBuilder line = new StringBuilder();
      int pieces = 1 + random.nextInt(12);
      for (int p = 0; p < pieces; p++) {
        if (p > 0) {
          line.append(SEPARATORS[random.nextInt(SEPARATORS.length)]);
        }
        String piece = PIECES[random.nextInt(PIECES.length)];
        // Pieces cut at random code points too, so words and graphemes end anywhere.
        if (random.nextInt(4) == 0) {
          int[] cps = piece.codePoints().toArray();
          int from = random.nextInt(cps.length);
          piece = new String(cps, from, cps.length - from);
        }
        line.append(piece);
      }
      lines.add(line.toString());
    }
    // A few long documents: nothing truncates.
    for (int i = 0; i < 5; i++) {
      lines.add(String.join(" ", java.util.Collections.nCopies(400, PIECES[i * 3])));
    }
    return lines;
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen3", "llama3"})
  void theStepsTokenIdsEqualThoseOfThePureJavaScriptTokenizersOnTheSameTokenizerJson(
      String model, @TempDir Path dir) throws Exception {
    Path tokenizer = RealTokenizers.dir().resolve(model).resolve("models");
    List<String> lines = variedLines(model.hashCode());
    Path data = Files.createDirectories(dir.resolve("data"));
    Path texts = dir.resolve("texts.jsonl");
    StringBuilder dataset = new StringBuilder();
    StringBuilder strings = new StringBuilder();
    for (String line : lines) {
      dataset.append(JSON.writeValueAsString(Map.of("text", line))).append('\n');
      strings.append(JSON.writeValueAsString(line)).append('\n');
    }
    Files.writeString(data.resolve("docs.jsonl"), dataset, StandardCharsets.UTF_8);
    Files.writeString(texts, strings, StandardCharsets.UTF_8);

    Path output = dir.resolve("output");
    Tokenization.Summary summary =
        TokenizeStep.run(
            Map.of(
                "data", data.toString(),
                "tokenizer", tokenizer.toString(),
                "config",
                    Map.of(
                        "records",
                        "text",
                        "add_eos",
                        false,
                        "eval_fraction",
                        0.0,
                        "shard_bytes",
                        256 * 1024)),
            "dataset-id",
            output,
            dir,
            (t, d, o) -> {
              throw new AssertionError("text records are not rendered");
            },
            line -> {});
    List<String> reference = RealTokenizers.node("encode", tokenizer, texts);

    TokenShardsReader shards = TokenShardsReader.read(output, "train");
    assertThat(shards.index().path("splits").path("train").path("shards").size())
        .as("small shards: the documents span several")
        .isGreaterThan(1);
    assertThat(summary.documents()).isEqualTo(lines.size());
    assertThat(reference).hasSize(lines.size());
    List<String> ours = shards.documents().stream().map(TokenizerParityTest::json).toList();
    for (int i = 0; i < lines.size(); i++) {
      assertThat(ours.get(i)).as("line %d: %s", i + 1, lines.get(i)).isEqualTo(reference.get(i));
    }
  }

  private static String json(int[] ids) {
    try {
      return JSON.writeValueAsString(ids);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
