package dev.trainyard.worker.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The trainer's tokenizer: the same library and options as the {@code tokenize} step, behind a line
 * protocol on stdin/stdout, so that Python code without the {@code tokenizers} package ({@code
 * trainyard_trainer.hf_tokenizer}) encodes and decodes exactly as the token shards were made.
 *
 * <p>{@code java -cp <worker classpath> dev.trainyard.worker.tokenize.TokenizerServer DIR} (DIR
 * holds {@code tokenizer.json}). First line out: {@code {"ready": true, "vocab_size": N}}, or
 * {@code {"error": "..."}} and exit 2 when the tokenizer cannot be loaded. Then one JSON line in,
 * one JSON line out, in order:
 *
 * <ul>
 *   <li>{@code {"op": "encode", "texts": [...], "add_special_tokens": false}} → {@code {"ids":
 *       [[...], ...]}}
 *   <li>{@code {"op": "decode", "ids": [[...], ...], "skip_special_tokens": false}} → {@code
 *       {"texts": [...]}}
 *   <li>anything else, or a request the library refuses → {@code {"error": "..."}}; the server goes
 *       on with the next line.
 * </ul>
 *
 * Exits 0 at the end of stdin. Nothing is downloaded: the native library comes from DJL's jar.
 * {@code TokenizerServer --command} prints the value of {@code TRAINYARD_TOKENIZER_SERVER} this JVM
 * would give a trainer.
 */
public final class TokenizerServer {
  static final int EXIT_BAD_TOKENIZER = 2;
  private static final ObjectMapper JSON = new ObjectMapper();

  private TokenizerServer() {}

  public static void main(String[] args) throws IOException {
    // The protocol owns stdout: anything a library prints goes to stderr instead.
    PrintStream protocol = System.out;
    if (args.length == 1 && args[0].equals("--command")) {
      // What this very JVM and classpath would give a trainer (tests and hand runs set it from
      // this).
      protocol.println(TokenizerServerCommand.envValue());
      return;
    }
    System.setOut(System.err);
    int exit = serve(args, System.in, protocol);
    protocol.flush();
    System.exit(exit);
  }

  /** Serves until {@code in} ends; the exit code. */
  static int serve(String[] args, InputStream in, OutputStream out) throws IOException {
    Writer writer = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8);
    if (args.length != 1) {
      reply(writer, error("usage: TokenizerServer <dir with tokenizer.json>"));
      return EXIT_BAD_TOKENIZER;
    }
    // DJL would fetch a native library it cannot find in its jar; the worker never downloads code.
    System.setProperty("ai.djl.offline", "true");
    HuggingFaceTokenizer library;
    TokenizerFiles files;
    Path dir = Path.of(args[0]);
    if (!java.nio.file.Files.isDirectory(dir)) {
      reply(
          writer,
          error(
              dir
                  + ": no such directory (the tokenizer server needs a dir with "
                  + TokenizerFiles.TOKENIZER_JSON
                  + ")"));
      return EXIT_BAD_TOKENIZER;
    }
    if (!java.nio.file.Files.isRegularFile(dir.resolve(TokenizerFiles.TOKENIZER_JSON))) {
      reply(writer, error(dir + ": holds no " + TokenizerFiles.TOKENIZER_JSON));
      return EXIT_BAD_TOKENIZER;
    }
    try {
      files = TokenizerFiles.read(dir);
      library = Tokenization.load(files);
    } catch (IOException | RuntimeException e) {
      reply(writer, error(dir + ": cannot load the tokenizer: " + e.getMessage()));
      return EXIT_BAD_TOKENIZER;
    }
    try (library) {
      ObjectNode ready = JSON.createObjectNode().put("ready", true);
      ready.put("vocab_size", files.vocabSize());
      reply(writer, ready);
      BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line; (line = lines.readLine()) != null; ) {
        if (!line.isBlank()) {
          reply(writer, answer(library, line));
        }
      }
    }
    return 0;
  }

  static ObjectNode answer(HuggingFaceTokenizer library, String line) {
    JsonNode request;
    try {
      request = JSON.readTree(line);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return error("not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      return error("not JSON: " + e.getMessage());
    }
    try {
      return switch (request.path("op").asText("")) {
        case "encode" -> encode(library, request);
        case "decode" -> decode(library, request);
        default -> error("op: must be \"encode\" or \"decode\", not " + request.path("op"));
      };
    } catch (IllegalArgumentException e) {
      return error(e.getMessage());
    } catch (RuntimeException e) { // what the library throws for input it refuses
      return error(e.toString());
    }
  }

  private static ObjectNode encode(HuggingFaceTokenizer library, JsonNode request) {
    JsonNode texts = request.path("texts");
    if (!texts.isArray()) {
      throw new IllegalArgumentException("texts: must be a list of strings");
    }
    String[] inputs = new String[texts.size()];
    for (int i = 0; i < inputs.length; i++) {
      if (!texts.get(i).isTextual()) {
        throw new IllegalArgumentException("texts[" + i + "]: must be a string");
      }
      inputs[i] = texts.get(i).asText();
    }
    boolean special = request.path("add_special_tokens").asBoolean(false);
    ObjectNode reply = JSON.createObjectNode();
    ArrayNode ids = reply.putArray("ids");
    if (inputs.length > 0) {
      for (Encoding encoding : library.batchEncode(inputs, special, false)) {
        ArrayNode row = ids.addArray();
        for (long id : encoding.getIds()) {
          row.add(id);
        }
      }
    }
    return reply;
  }

  private static ObjectNode decode(HuggingFaceTokenizer library, JsonNode request) {
    JsonNode rows = request.path("ids");
    if (!rows.isArray()) {
      throw new IllegalArgumentException("ids: must be a list of lists of token ids");
    }
    boolean skip = request.path("skip_special_tokens").asBoolean(false);
    ObjectNode reply = JSON.createObjectNode();
    ArrayNode texts = reply.putArray("texts");
    for (int i = 0; i < rows.size(); i++) {
      JsonNode row = rows.get(i);
      if (!row.isArray()) {
        throw new IllegalArgumentException("ids[" + i + "]: must be a list of token ids");
      }
      long[] ids = new long[row.size()];
      for (int j = 0; j < ids.length; j++) {
        if (!row.get(j).canConvertToInt() || row.get(j).asInt() < 0) {
          throw new IllegalArgumentException("ids[" + i + "][" + j + "]: must be a token id");
        }
        ids[j] = row.get(j).asLong();
      }
      texts.add(library.decode(ids, skip));
    }
    return reply;
  }

  private static ObjectNode error(String message) {
    return JSON.createObjectNode().put("error", message);
  }

  private static void reply(Writer out, ObjectNode reply) throws IOException {
    out.write(JSON.writeValueAsString(reply));
    out.write('\n');
    out.flush();
  }
}
