package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.CheckpointImportEntity;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 14 item 3: an existing Hugging Face folder — under a data root, or uploaded as a tar —
 * becomes a checkpoint artifact with what its files say it is, and works where any checkpoint does.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class CheckpointImportTest {
  static final Path HOME = DatasetVersionsTest.HOME;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  private static Path folder() throws Exception {
    // java.io.tmpdir is a data root in the test profile (trainyard.datasets.roots).
    return Files.createTempDirectory("trainyard-hf").resolve("model");
  }

  private static Response importFolder(Path dir, Map<String, Object> extra) {
    Map<String, Object> body = new HashMap<>(extra);
    body.put("uri", HfFolders.uri(dir));
    return given().contentType(ContentType.JSON).body(body).post("/api/v1/checkpoints/import");
  }

  private static JsonPath imported(Response response, int status) {
    return response.then().statusCode(status).extract().jsonPath();
  }

  /** Stored artifacts and checkpoint staging dirs: what a refusal must not add. */
  private static List<String> storeContents() throws Exception {
    List<String> out = new ArrayList<>();
    for (String dir : List.of("artifacts", "tmp")) {
      Path p = HOME.resolve(dir);
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          s.map(x -> dir + "/" + x.getFileName())
              .filter(x -> x.startsWith("artifacts/") || x.startsWith("tmp/checkpoint-"))
              .forEach(out::add);
        }
      }
    }
    return out;
  }

  private static long rows() {
    return QuarkusTransaction.requiringNew()
        .call(() -> ArtifactEntity.count() + CheckpointImportEntity.count());
  }

  @Test
  void aLlamaFolderUnderADataRootIsImportedWithWhatItsFilesSay() throws Exception {
    Path dir = HfFolders.single(folder(), "llama", "BF16", 1);
    HfFolders.hfTokenizer(dir, "{% for m in messages %}{{ m['content'] }}{% endfor %}");
    String name = "imported-" + UUID.randomUUID().toString().substring(0, 8);

    JsonPath a =
        imported(
            importFolder(dir, Map.of("name", name, "description", "a toy llama from outside")),
            201);
    String id = a.getString("id");
    assertThat(a.getString("type")).isEqualTo("checkpoint");
    assertThat(a.getString("name")).isEqualTo(name);
    assertThat(a.getString("createdBy")).isEqualTo("local");
    assertThat(a.getString("model.family")).isEqualTo("llama");
    assertThat(a.getLong("model.parameters")).isEqualTo(HfFolders.TOY_PARAMETERS);
    assertThat(a.getLong("parameters")).isEqualTo(HfFolders.TOY_PARAMETERS);
    assertThat(a.getString("model.dtype")).isEqualTo("bfloat16");
    assertThat(a.getString("model.tokenizer")).isEqualTo("hf");
    assertThat(a.getBoolean("model.chatTemplate")).isTrue();
    assertThat(a.getString("model.description")).isEqualTo("a toy llama from outside");
    assertThat(a.getString("model.origin"))
        .isEqualTo("imported from " + HfFolders.uri(dir) + " by local");
    assertThat(a.getList("files.path"))
        .containsExactly(
            "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json");
    // The stored copy is the checkpoint: changing the folder afterwards changes nothing under it.
    Path stored = HOME.resolve("artifacts").resolve(id);
    byte[] weights = Files.readAllBytes(dir.resolve("model.safetensors"));
    assertThat(stored.resolve("model.safetensors")).hasBinaryContent(weights);
    Files.writeString(dir.resolve("config.json"), "{}");
    assertThat(Files.readString(stored.resolve("config.json"))).contains("\"llama\"");

    // The pickers' search and the artifact view show what it is.
    JsonPath found =
        given()
            .queryParam("type", "checkpoint")
            .queryParam("q", name)
            .get("/api/v1/artifacts")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(found.getList("items.id")).containsExactly(id);
    assertThat(found.getString("items[0].model.family")).isEqualTo("llama");
    assertThat(found.getLong("items[0].parameters")).isEqualTo(HfFolders.TOY_PARAMETERS);
    given().get("/api/v1/artifacts/" + name).then().statusCode(200);

    // Lineage says where it came from; the audit log holds the import under the checkpoint's id.
    JsonPath lineage =
        given()
            .get("/api/v1/artifacts/" + id + "/lineage")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(lineage.getString("nodes.find { it.id == 'artifact:" + id + "' }.origin"))
        .isEqualTo("imported from " + HfFolders.uri(dir) + " by local");
    assertThat(lineage.getString("nodes.find { it.id == 'artifact:" + id + "' }.label"))
        .isEqualTo(name);
    JsonPath audit =
        given()
            .queryParam("action", "CHECKPOINT IMPORT")
            .get("/api/v1/audit")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(audit.getList("items.target")).contains("/api/v1/artifacts/" + id);
    assertThat(audit.getString("items.find { it.target == '/api/v1/artifacts/" + id + "' }.actor"))
        .isEqualTo("local");
  }

  @Test
  void aShardedFolderUploadedAsATarIsImportedAndTheSameContentAgainIsTheSameCheckpoint()
      throws Exception {
    Path dir = HfFolders.sharded(folder(), "qwen3", "F32", 2);
    HfFolders.byteTokenizer(dir);
    Files.writeString(dir.resolve("chat_template.jinja"), "{{ messages }}");

    JsonPath up =
        imported(
            given()
                .contentType("application/x-tar")
                .body(HfFolders.tar(dir, "my-model"))
                .post("/api/v1/checkpoints/import/upload?name=uploaded-qwen3"),
            201);
    String id = up.getString("id");
    assertThat(up.getString("model.family")).isEqualTo("qwen3");
    assertThat(up.getLong("model.parameters")).isEqualTo(HfFolders.TOY_PARAMETERS);
    assertThat(up.getString("model.dtype")).isEqualTo("float32");
    assertThat(up.getString("model.tokenizer")).isEqualTo("byte");
    assertThat(up.getBoolean("model.chatTemplate")).isTrue();
    assertThat(up.getString("model.origin"))
        .isEqualTo("imported from upload:uploaded-qwen3.tar by local");
    // The folder's one directory in the tar is the checkpoint: its files sit at the top.
    assertThat(up.getList("files.path"))
        .contains(
            "config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors");

    // Content-addressed: the same files from the data root, or the tar again, are this checkpoint.
    long before = rows();
    assertThat(imported(importFolder(dir, Map.of()), 200).getString("id")).isEqualTo(id);
    assertThat(
            imported(
                    given()
                        .contentType("application/x-tar")
                        .body(HfFolders.tar(dir, null))
                        .post("/api/v1/checkpoints/import/upload"),
                    200)
                .getString("id"))
        .isEqualTo(id);
    assertThat(rows()).isEqualTo(before);
  }

  @Test
  void mixedDtypesAndAFolderWithoutTokenizerAreRecordedSo() throws Exception {
    Path model = folder();
    HfFolders.config(model, "mistral");
    Map<String, HfFolders.Tensor> tensors =
        new java.util.LinkedHashMap<>(HfFolders.toyTensors("BF16"));
    tensors.put("model.norm.weight", new HfFolders.Tensor("F32", 8));
    HfFolders.safetensors(model.resolve("model.safetensors"), tensors, 3);
    JsonPath a = imported(importFolder(model, Map.of()), 201);
    assertThat(a.getString("model.family")).isEqualTo("mistral");
    assertThat(a.getString("model.dtype")).isEqualTo("mixed");
    assertThat(a.getString("model.tokenizer")).isEqualTo("none");
    assertThat(a.getBoolean("model.chatTemplate")).isFalse();
    assertThat(a.getString("name")).isNull();
  }

  @Test
  void gpt2AndBertFoldersAreRefusedWith422NamingTheSupportedFamilies() throws Exception {
    for (String family : List.of("gpt2", "bert")) {
      Path dir = HfFolders.single(folder(), family, "F32", 4);
      List<String> storedBefore = storeContents();
      long before = rows();
      Response refused = importFolder(dir, Map.of("name", "not-" + family));
      refused.then().statusCode(422).contentType("application/problem+json");
      JsonPath problem = refused.jsonPath();
      assertThat(problem.getList("errors.path"))
          .as(family)
          .containsExactly("config.json.model_type");
      assertThat(problem.getString("errors[0].message"))
          .isEqualTo(
              "'"
                  + family
                  + "' is not a supported model family; supported: llama, qwen2, qwen3, mistral, mixtral");
      // Refused as an upload too; nothing is kept either way.
      given()
          .contentType("application/x-tar")
          .body(HfFolders.tar(dir, null))
          .post("/api/v1/checkpoints/import/upload")
          .then()
          .statusCode(422)
          .body(
              "errors[0].message",
              org.hamcrest.Matchers.endsWith("supported: llama, qwen2, qwen3, mistral, mixtral"));
      assertThat(storeContents()).isEqualTo(storedBefore);
      assertThat(rows()).isEqualTo(before);
    }
  }

  @Test
  void aShardTheIndexListsButTheFolderLacksIsNamedAndNothingIsKept() throws Exception {
    Path dir = HfFolders.sharded(folder(), "qwen2", "BF16", 5);
    Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
    List<String> storedBefore = storeContents();
    long before = rows();
    JsonPath problem = imported(importFolder(dir, Map.of()), 422);
    assertThat(problem.getList("errors.path")).containsExactly("model-00002-of-00002.safetensors");
    assertThat(problem.getString("errors[0].message"))
        .isEqualTo("missing: model.safetensors.index.json lists this shard for 2 tensor(s)");
    assertThat(storeContents()).isEqualTo(storedBefore);
    assertThat(rows()).isEqualTo(before);
  }

  @Test
  void everyProblemOfAFolderIsAnsweredWithItsPath() throws Exception {
    // Torch pickles only, and no config.json.
    Path bins = folder();
    Files.createDirectories(bins);
    Files.write(bins.resolve("pytorch_model.bin"), new byte[64]);
    JsonPath problem = imported(importFolder(bins, Map.of()), 422);
    assertThat(problem.getList("errors.path")).containsExactly("config.json", "pytorch_model.bin");
    assertThat(problem.getString("errors[1].message"))
        .startsWith("torch .bin weights only (pytorch_model.bin): Trainyard reads safetensors");

    // No weights at all.
    Path empty = folder();
    HfFolders.config(empty, "llama");
    assertThat(imported(importFolder(empty, Map.of()), 422).getList("errors.path"))
        .containsExactly("model.safetensors");

    // Weights that are not safetensors, and a tokenizer the trainer does not know.
    Path junk = folder();
    HfFolders.config(junk, "qwen2");
    Files.write(junk.resolve("model.safetensors"), new byte[16]);
    Files.writeString(
        junk.resolve("tokenizer_config.json"), "{\"trainyard_tokenizer\": \"word-v9\"}");
    JsonPath junkProblems = imported(importFolder(junk, Map.of()), 422);
    assertThat(junkProblems.getList("errors.path"))
        .containsExactly("model.safetensors", "tokenizer_config.json.trainyard_tokenizer");
    assertThat(junkProblems.getString("errors[0].message"))
        .isEqualTo("not a safetensors file: a header length of 0 bytes in a file of 16");

    // A shard that holds less than its index says, a truncated file, a bad name.
    Path bad = HfFolders.sharded(folder(), "llama", "F32", 6);
    Files.writeString(
        bad.resolve("model.safetensors.index.json"),
        Files.readString(bad.resolve("model.safetensors.index.json"))
            .replace(
                "\"weight_map\":{",
                "\"weight_map\":{\"lm_head.weight\":\"model-00001-of-00002.safetensors\","));
    byte[] second = Files.readAllBytes(bad.resolve("model-00002-of-00002.safetensors"));
    Files.write(
        bad.resolve("model-00002-of-00002.safetensors"),
        java.util.Arrays.copyOf(second, second.length - 4));
    JsonPath many = imported(importFolder(bad, Map.of("name", "Not A Name")), 422);
    assertThat(many.getList("errors.path")).containsExactly("name");
    JsonPath content = imported(importFolder(bad, Map.of()), 422);
    assertThat(content.getList("errors.path"))
        .containsExactly(
            "model-00001-of-00002.safetensors:lm_head.weight",
            "model-00002-of-00002.safetensors:model.norm.weight");

    // A file, a path outside the data roots, a missing one: one answer alike.
    for (String uri :
        List.of(
            HfFolders.uri(bad.resolve("config.json")),
            "file:///etc",
            HfFolders.uri(bad.resolve("nope")))) {
      given()
          .contentType(ContentType.JSON)
          .body(Map.of("uri", uri))
          .post("/api/v1/checkpoints/import")
          .then()
          .statusCode(422)
          .body("errors[0].path", org.hamcrest.Matchers.equalTo("uri"))
          .body(
              "errors[0].message",
              org.hamcrest.Matchers.equalTo(
                  "no readable directory at this URI inside the data roots (trainyard.datasets.roots)"));
    }
  }

  @Test
  void aRunGivenTheImportedCheckpointAsACheckpointParameterPrunesItWithLineageToTheImport()
      throws Exception {
    Path dir = HfFolders.single(folder(), "llama", "F32", 7);
    String id = imported(importFolder(dir, Map.of()), 201).getString("id");
    String template = "prune-imported-" + UUID.randomUUID().toString().substring(0, 8);
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        params:
          base: {type: checkpoint}
        steps:
          - id: prune
            kind: prune
            model: ${{ params.base }}
            method: magnitude
            config: {sparsity: 0.5}
        """
            .formatted(template));
    // By its short id, as a picker would pass it.
    String runId = Api.launch(template, Map.of("base", id.substring(0, 12))).getString("id");
    JsonPath run = Api.awaitStatus(runId, PipelineRunsTest.TERMINAL, Duration.ofMinutes(2));
    assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
    String pruned = run.getString("steps.find { it.id == 'prune' }.outputs.model.artifactId");
    JsonPath up =
        given()
            .get("/api/v1/artifacts/" + pruned + "/lineage?direction=ancestors")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(up.getList("edges.findAll { it.from == 'artifact:" + id + "' }.role"))
        .containsExactly("input:model");
    assertThat(up.getString("nodes.find { it.id == 'artifact:" + id + "' }.origin"))
        .isEqualTo("imported from " + HfFolders.uri(dir) + " by local");
    assertThat(up.getString("nodes.find { it.id == 'artifact:" + pruned + "' }.origin")).isNull();
  }
}
