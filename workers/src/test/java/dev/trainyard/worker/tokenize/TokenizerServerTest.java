package dev.trainyard.worker.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokenizer server a trainer starts (trainyard_trainer.hf_tokenizer), run as the worker tells
 * the trainer to run it ({@link TokenizerServerCommand}): a separate {@code java} on this JVM's
 * classpath.
 */
class TokenizerServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> TEXTS =
      List.of(
          "The quick brown fox.",
          "机器学习是人工智能的一个分支。",
          "مرحبا بالعالم",
          "👩‍👩‍👧‍👦 family 🇯🇵",
          "<|im_start|>user\nHi<|im_end|>",
          "");

  /** One running server and its pipes. */
  private record Server(Process process, Writer in, BufferedReader out) implements AutoCloseable {
    static Server start(Path dir) throws Exception {
      List<String> argv = new ArrayList<>(TokenizerServerCommand.argv());
      argv.add(dir.toString());
      Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      return new Server(
          p,
          new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8),
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
    }

    JsonNode read() throws Exception {
      String line = out.readLine();
      assertThat(line).as("a reply line").isNotNull();
      return JSON.readTree(line);
    }

    JsonNode ask(String line) throws Exception {
      in.write(line + "\n");
      in.flush();
      return read();
    }

    JsonNode ask(Map<String, Object> request) throws Exception {
      return ask(JSON.writeValueAsString(request));
    }

    int end() throws Exception {
      in.close();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exits at the end of stdin").isTrue();
      return process.exitValue();
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }

  @Test
  void theServerEncodesAndDecodesExactlyAsTheLibraryDoesInTheWorker() throws Exception {
    Path qwen = RealTokenizers.qwen3();
    TokenizerFiles files = TokenizerFiles.read(qwen);
    try (Server server = Server.start(qwen);
        HuggingFaceTokenizer library = Tokenization.load(files)) {
      JsonNode ready = server.read();
      assertThat(ready.path("ready").asBoolean()).isTrue();
      assertThat(ready.path("vocab_size").asInt()).isEqualTo(files.vocabSize());
      for (boolean special : new boolean[] {false, true}) {
        JsonNode reply =
            server.ask(Map.of("op", "encode", "texts", TEXTS, "add_special_tokens", special));
        Encoding[] expected = library.batchEncode(TEXTS.toArray(String[]::new), special, false);
        assertThat(reply.path("ids").size()).isEqualTo(TEXTS.size());
        for (int i = 0; i < expected.length; i++) {
          assertThat(longs(reply.path("ids").get(i))).isEqualTo(expected[i].getIds());
        }
      }
      JsonNode ids =
          server
              .ask(Map.of("op", "encode", "texts", TEXTS, "add_special_tokens", false))
              .get("ids");
      JsonNode texts =
          server.ask(Map.of("op", "decode", "ids", ids, "skip_special_tokens", false)).get("texts");
      assertThat(JSON.convertValue(texts, List.class)).isEqualTo(TEXTS);
      JsonNode skipped =
          server.ask(
              Map.of("op", "decode", "ids", List.of(ids.get(4)), "skip_special_tokens", true));
      assertThat(skipped.path("texts").get(0).asText()).isEqualTo("user\nHi");
      assertThat(server.end()).isZero();
    }
  }

  @Test
  void aBadRequestGetsAnErrorLineAndTheServerGoesOn() throws Exception {
    try (Server server = Server.start(RealTokenizers.qwen3())) {
      assertThat(server.read().path("ready").asBoolean()).isTrue();
      assertThat(server.ask("not json").path("error").asText()).startsWith("not JSON: ");
      assertThat(server.ask(Map.of("op", "split")).path("error").asText())
          .isEqualTo("op: must be \"encode\" or \"decode\", not \"split\"");
      assertThat(server.ask(Map.of("op", "encode", "texts", "one")).path("error").asText())
          .isEqualTo("texts: must be a list of strings");
      assertThat(
              server.ask(Map.of("op", "encode", "texts", List.of("a", 7))).path("error").asText())
          .isEqualTo("texts[1]: must be a string");
      assertThat(
              server
                  .ask(Map.of("op", "decode", "ids", List.of(List.of(1, -2))))
                  .path("error")
                  .asText())
          .isEqualTo("ids[0][1]: must be a token id");
      assertThat(server.ask(Map.of("op", "encode", "texts", List.of("ok"))).path("ids").size())
          .isEqualTo(1);
      assertThat(server.end()).isZero();
    }
  }

  @Test
  void aDirWithoutATokenizerIsRefusedWithItsPath(@TempDir Path empty) throws Exception {
    try (Server server = Server.start(empty)) {
      assertThat(server.read().path("error").asText())
          .isEqualTo(empty + ": holds no tokenizer.json");
      assertThat(server.end()).isEqualTo(TokenizerServer.EXIT_BAD_TOKENIZER);
    }
    Path absent = empty.resolve("absent");
    try (Server server = Server.start(absent)) {
      assertThat(server.read().path("error").asText())
          .isEqualTo(
              absent
                  + ": no such directory (the tokenizer server needs a dir with tokenizer.json)");
      assertThat(server.end()).isEqualTo(TokenizerServer.EXIT_BAD_TOKENIZER);
    }
    Files.writeString(empty.resolve("tokenizer.json"), "{not json");
    try (Server server = Server.start(empty)) {
      assertThat(server.read().path("error").asText())
          .startsWith(empty + ": cannot load the tokenizer: tokenizer: tokenizer.json is not JSON");
      assertThat(server.end()).isEqualTo(TokenizerServer.EXIT_BAD_TOKENIZER);
    }
  }

  @Test
  void theCommandIsThisJvmsJavaOnAClasspathThatHoldsTheServer() {
    List<String> argv = TokenizerServerCommand.argv();
    assertThat(Path.of(argv.get(0))).isExecutable();
    assertThat(argv.getLast()).isEqualTo(TokenizerServer.class.getName());
    assertThat(TokenizerServerCommand.classpath()).allSatisfy(p -> assertThat(p).isAbsolute());
    assertThat(TokenizerServerCommand.envValue()).startsWith("[\"" + argv.get(0));
  }

  private static long[] longs(JsonNode array) {
    long[] out = new long[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asLong();
    }
    return out;
  }
}
