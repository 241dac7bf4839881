package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.worker.store.Manifests;
import dev.trainyard.workflow.ManifestEntry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 2: datasets are versioned, content-addressed copies in the artifact store that
 * steps read, named by name, name:vN, name@alias or a hash prefix.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class DatasetVersionsTest {
  /** The test profile's home (trainyard.home): the embedded worker's store is under it. */
  static final Path HOME = Path.of("target/trainyard-test-home");

  @Inject EntityManager em;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static JsonPath register(String name, Path path) {
    return given()
        .contentType(ContentType.JSON)
        .body(Map.of("name", name, "uri", path.toUri().toString().replaceAll("/$", "")))
        .post("/api/v1/datasets")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath();
  }

  /**
   * Artifact ids in the store plus the dataset staging dirs left in its tmp: what a refusal must
   * not add.
   */
  private static List<String> storeContents() throws Exception {
    List<String> out = new ArrayList<>();
    for (String dir : List.of("artifacts", "tmp")) {
      Path p = HOME.resolve(dir);
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          s.map(x -> dir + "/" + x.getFileName())
              .filter(x -> x.startsWith("artifacts/") || x.startsWith("tmp/dataset-"))
              .forEach(out::add);
        }
      }
    }
    return out;
  }

  /** The artifact id the run's plan reads for a parameter (what the launch resolved it to). */
  private String resolvedInput(String runId, String param) {
    String plan =
        QuarkusTransaction.requiringNew()
            .call(
                () ->
                    (String)
                        em.createNativeQuery("SELECT CAST(plan AS text) FROM run WHERE id = ?1")
                            .setParameter(1, runId)
                            .getSingleResult());
    return new JsonPath(plan)
        .getString("steps.inputs.flatten().find { it.name == 'params." + param + "' }.artifactId");
  }

  @Test
  void aDirectoryFromOutsideTheStoreIsCopiedInAndARunTrainsOnTheStoredVersion() throws Exception {
    Process check = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").start();
    Assertions.assertTrue(
        check.waitFor() == 0,
        "Debian's python3-torch is not installed (./trainyard test installs it)");
    Path dir = Files.createTempDirectory("trainyard-corpus");
    StringBuilder docs = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      docs.append("the quick brown fox number ").append(i).append(" jumps over the lazy dog\n\n");
    }
    Files.writeString(dir.resolve("a.txt"), docs);
    Files.createDirectories(dir.resolve("more"));
    Files.writeString(
        dir.resolve("more/b.txt"), "a second file of plain text, long enough to read\n");
    String name = unique("corpus");
    JsonPath v1 = register(name, dir);
    String id = v1.getString("id");
    assertThat(v1.getInt("version")).isEqualTo(1);
    assertThat(v1.getString("ref")).isEqualTo(name + ":v1");
    assertThat(v1.getString("format")).isEqualTo("text");
    assertThat(v1.getLong("records")).isEqualTo(61);
    assertThat(v1.getList("files.path")).containsExactly("a.txt", "more/b.txt");
    // The stored copy is the version: changing the source afterwards changes nothing under the id.
    Path stored = HOME.resolve("artifacts").resolve(id);
    assertThat(Files.readString(stored.resolve("a.txt"))).isEqualTo(docs.toString());
    Files.writeString(dir.resolve("a.txt"), "changed after registration\n");
    assertThat(Files.readString(stored.resolve("a.txt"))).isEqualTo(docs.toString());

    String template = unique("train-on-corpus");
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        params:
          corpus: {type: dataset}
        steps:
          - id: train
            kind: pretrain
            model: tiny
            data: ${{ params.corpus }}
            config: {max_steps: 3, batch_size: 2, seq_len: 16, seed: 1}
        """
            .formatted(template));
    String runId = Api.launch(template, Map.of("corpus", name + ":v1")).getString("id");
    JsonPath run = Api.awaitStatus(runId, PipelineRunsTest.TERMINAL, Duration.ofMinutes(4));
    assertThat(run.getString("status")).as(run.getString("error")).isEqualTo("SUCCEEDED");
    assertThat(resolvedInput(runId, "corpus")).isEqualTo(id);
    String model = run.getString("steps.find { it.id == 'train' }.outputs.model.artifactId");
    // Lineage names the exact version the step read, both ways.
    JsonPath up =
        given()
            .get("/api/v1/artifacts/" + model + "/lineage?direction=ancestors")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(up.getList("nodes.id")).contains("artifact:" + id);
    assertThat(up.getList("edges.findAll { it.from == 'artifact:" + id + "' }.role"))
        .containsExactly("input:data");
    JsonPath down =
        given()
            .get("/api/v1/artifacts/" + id + "/lineage?direction=descendants")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(down.getList("nodes.id")).contains("artifact:" + model);
  }

  @Test
  void newContentUnderTheSameNameIsVersionTwoAndV1StillResolvesToTheOldBytes() throws Exception {
    String name = unique("versions");
    Path file = Files.createTempFile("trainyard-versions", ".jsonl");
    String oldBytes = "{\"text\": \"old " + UUID.randomUUID() + "\"}\n";
    Files.writeString(file, oldBytes);
    JsonPath v1 = register(name, file);
    // Registering the same content again is the version it already is.
    JsonPath again = register(name, file);
    assertThat(again.getString("id")).isEqualTo(v1.getString("id"));
    assertThat(again.getInt("version")).isEqualTo(1);
    Files.writeString(file, "{\"text\": \"new " + UUID.randomUUID() + "\"}\n");
    JsonPath v2 = register(name, file);
    assertThat(v2.getInt("version")).isEqualTo(2);
    assertThat(v2.getString("id")).isNotEqualTo(v1.getString("id"));
    assertThat(v1.getString("format")).isEqualTo("jsonl-text");

    JsonPath versions =
        given().get("/api/v1/datasets/" + name).then().statusCode(200).extract().jsonPath();
    assertThat(versions.getList("items.version")).containsExactly(2, 1);
    JsonPath old =
        given()
            .get("/api/v1/artifacts/" + name + ":v1")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(old.getString("id")).isEqualTo(v1.getString("id"));
    assertThat(old.getString("files[0].sha256"))
        .isEqualTo(sha256(oldBytes.getBytes(StandardCharsets.UTF_8)));
    assertThat(
            Files.readString(
                HOME.resolve("artifacts")
                    .resolve(v1.getString("id"))
                    .resolve(file.getFileName().toString())))
        .isEqualTo(oldBytes);
    // The bare name is the latest version.
    given()
        .get("/api/v1/artifacts/" + name)
        .then()
        .statusCode(200)
        .body("id", equalTo(v2.getString("id")));
  }

  @Test
  void aJsonlWhoseLine1234IsBrokenIsRefusedNamingThatLineAndNothingIsRegistered() throws Exception {
    Path file = Files.createTempFile("trainyard-broken", ".jsonl");
    StringBuilder lines = new StringBuilder();
    for (int line = 1; line <= 2000; line++) {
      lines.append(
          switch (line) {
            case 1234 -> "{\"text\": \"cut off";
            case 1500 -> "{\"text\": 42}";
            default -> "{\"text\": \"line " + line + "\"}";
          });
      lines.append('\n');
    }
    Files.writeString(file, lines);
    String name = unique("broken");
    List<String> before = storeContents();
    JsonPath problem =
        given()
            .contentType(ContentType.JSON)
            .body(Map.of("name", name, "uri", file.toUri().toString()))
            .post("/api/v1/datasets")
            .then()
            .statusCode(422)
            .contentType(containsString("application/problem+json"))
            .extract()
            .jsonPath();
    String f = file.getFileName().toString();
    assertThat(problem.getList("errors.path")).containsExactly(f + ":1234", f + ":1500: text");
    assertThat(problem.getString("errors[0].message")).startsWith("not JSON");
    assertThat(problem.getString("errors[1].message")).isEqualTo("must be a string");
    // Nothing registered: no row under the name, no stored files, no staging left behind.
    given().get("/api/v1/datasets/" + name).then().statusCode(404);
    byte[] content = lines.toString().getBytes(StandardCharsets.UTF_8);
    String wouldBe = Manifests.idOf(List.of(new ManifestEntry(f, content.length, sha256(content))));
    given().get("/api/v1/artifacts/" + wouldBe).then().statusCode(404);
    assertThat(storeContents()).isEqualTo(before);
  }

  @Test
  void everyBadRecordIsCountedAndTheFirstHundredAreListedWithTheirFields() throws Exception {
    Path dir = Files.createTempDirectory("trainyard-chat");
    StringBuilder chat = new StringBuilder();
    for (int i = 0; i < 150; i++) {
      chat.append(
          "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"bot\", \"content\": \"yo\"}]}\n");
    }
    Files.writeString(dir.resolve("chat.jsonl"), chat);
    Files.writeString(
        dir.resolve("pairs.jsonl"),
        "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n{\"prompt\": \"p\", \"chosen\": \"a\"}\n");
    Files.writeString(
        dir.resolve("share.jsonl"),
        "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}\n");
    Files.writeString(dir.resolve("table.parquet"), "PAR1");
    JsonPath problem =
        given()
            .contentType(ContentType.JSON)
            .body(
                Map.of("name", unique("chat"), "uri", dir.toUri().toString().replaceAll("/$", "")))
            .post("/api/v1/datasets")
            .then()
            .statusCode(422)
            .extract()
            .jsonPath();
    List<String> paths = problem.getList("errors.path");
    assertThat(paths).hasSize(101);
    assertThat(paths.get(0)).isEqualTo("chat.jsonl:1: messages[1].role");
    assertThat(problem.getString("errors[0].message")).contains("'bot'");
    assertThat(paths.get(100)).isEqualTo("$");
    // 150 chat records, the preference line 2 and the Parquet file: 52 beyond the hundred listed.
    assertThat(problem.getString("errors[100].message"))
        .isEqualTo("and 52 more bad records not listed");

    // The same shapes, well formed, register with their formats and counts.
    Path good = Files.createTempDirectory("trainyard-chat-good");
    Files.writeString(
        good.resolve("openai.jsonl"),
        "{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}\n");
    Files.copy(dir.resolve("share.jsonl"), good.resolve("sharegpt.jsonl"));
    JsonPath chatVersion = register(unique("chat-ok"), good);
    assertThat(chatVersion.getString("format")).isEqualTo("chat");
    assertThat(chatVersion.getLong("records")).isEqualTo(2);
    Path prefs = Files.createTempFile("trainyard-prefs", ".jsonl");
    Files.writeString(prefs, "{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
    assertThat(register(unique("prefs"), prefs).getString("format")).isEqualTo("preference");
  }

  @Test
  void theTrainersGeneratedDatasetRegistersWithEachFilesFormat() throws Exception {
    Path out = Files.createTempDirectory("trainyard-generated");
    ProcessBuilder generator =
        new ProcessBuilder(
                "/usr/bin/python3", "-m", "trainyard_trainer.datasets", "--out", out.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    generator
        .environment()
        .put("PYTHONPATH", Path.of("../workers/src/main/python").toAbsolutePath().toString());
    assertThat(generator.start().waitFor()).as("the trainer's dataset generator").isZero();
    JsonPath v = register(unique("generated"), out);
    Map<String, String> formats = new java.util.TreeMap<>();
    for (Map<String, Object> f : v.<Map<String, Object>>getList("files")) {
      formats.put((String) f.get("path"), (String) f.get("format"));
    }
    assertThat(formats)
        .containsEntry("general.txt", "text")
        .containsEntry("instructions.jsonl", "instruction")
        .containsEntry("preferences.jsonl", "preference")
        .containsEntry("eval/qa.jsonl", "eval")
        .containsEntry("eval/mc.jsonl", "eval")
        .containsEntry("trainyard-datasets.json", "metadata");
    assertThat(v.getString("format")).isEqualTo("mixed");
  }

  @Test
  void anUploadOverTheLimitIs413AndNothingIsKeptWhileSmallerUploadsAndTarsRegister()
      throws Exception {
    String name = unique("upload");
    List<String> before = storeContents();
    // 4.5 MB against the test profile's 4M upload limit.
    byte[] big = ("{\"text\": \"" + "x".repeat(1000) + "\"}\n").repeat(4500).getBytes();
    given()
        .contentType("application/octet-stream")
        .body(big)
        .post("/api/v1/datasets/upload?name=" + name + "&file=big.jsonl")
        .then()
        .statusCode(413)
        .body("detail", containsString("max-upload-size"));
    given().get("/api/v1/datasets/" + name).then().statusCode(404);
    assertThat(storeContents()).isEqualTo(before);

    // 3 MB: over the 2M limit of JSON bodies, which uploads are not held to.
    byte[] large = ("{\"text\": \"" + "y".repeat(1000) + "\"}\n").repeat(3000).getBytes();
    given()
        .contentType("application/octet-stream")
        .body(large)
        .post("/api/v1/datasets/upload?name=" + unique("large") + "&file=large.jsonl")
        .then()
        .statusCode(201)
        .body("files[0].sizeBytes", equalTo(large.length))
        .body("files[0].records", equalTo(3000));

    byte[] small = "{\"text\": \"small upload\"}\n".getBytes();
    given()
        .contentType("application/octet-stream")
        .body(small)
        .post("/api/v1/datasets/upload?name=" + name + "&file=small.jsonl")
        .then()
        .statusCode(201)
        .body("version", equalTo(1))
        .body("source", equalTo("upload:small.jsonl"))
        .body("files[0].path", equalTo("small.jsonl"));

    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
      for (var e :
          Map.of("docs/a.txt", "first document\n", "b.jsonl", "{\"text\": \"b\"}\n").entrySet()) {
        byte[] bytes = e.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(e.getKey());
        entry.setSize(bytes.length);
        out.putArchiveEntry(entry);
        out.write(bytes);
        out.closeArchiveEntry();
      }
    }
    given()
        .contentType("application/x-tar")
        .body(tar.toByteArray())
        .post("/api/v1/datasets/upload?name=" + name)
        .then()
        .statusCode(201)
        .body("version", equalTo(2))
        .body("format", equalTo("mixed"))
        .body("files.path", org.hamcrest.Matchers.contains("b.jsonl", "docs/a.txt"));
  }

  @Test
  void hashPrefixesAndAliasesNameOneVersionAndAnAmbiguousPrefixIsRefusedWithTheCount()
      throws Exception {
    String name = unique("refs");
    Path file = Files.createTempFile("trainyard-refs", ".txt");
    Files.writeString(file, "version one " + UUID.randomUUID() + "\n");
    String v1 = register(name, file).getString("id");
    Files.writeString(file, "version two " + UUID.randomUUID() + "\n");
    String v2 = register(name, file).getString("id");
    String alias = unique("prod");
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("artifact", name + ":v1"))
        .put("/api/v1/aliases/" + alias)
        .then()
        .statusCode(200)
        .body("artifactId", equalTo(v1));

    String template = unique("refs-tpl");
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: %s
        params:
          latest: {type: dataset}
          aliased: {type: dataset}
          prefixed: {type: dataset}
        steps:
          - id: wait
            kind: approval
          - id: a
            kind: pretrain
            needs: [wait]
            model: tiny
            data: ${{ params.latest }}
            eval_data: ${{ params.aliased }}
          - id: b
            kind: pretrain
            needs: [wait]
            model: tiny
            data: ${{ params.prefixed }}
        """
            .formatted(template));
    JsonPath run =
        Api.launch(
            template,
            Map.of("latest", name, "aliased", name + "@" + alias, "prefixed", v2.substring(0, 8)));
    String refsRun = run.getString("id");
    assertThat(resolvedInput(refsRun, "latest")).isEqualTo(v2);
    assertThat(resolvedInput(refsRun, "aliased")).isEqualTo(v1);
    assertThat(resolvedInput(refsRun, "prefixed")).isEqualTo(v2);
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("reason", "test"))
        .post("/api/v1/runs/" + run.getString("id") + "/cancel")
        .then()
        .statusCode(202);

    // Another version whose id shares v1's first 8 hex characters (a collision made by hand: the
    // hashes of real content would take billions of tries).
    String twin = v1.substring(0, 8) + "f".repeat(56);
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              em.createNativeQuery(
                      "INSERT INTO artifact (id, type, name, uri, size_bytes, created_by, team)"
                          + " VALUES (?1, 'dataset', ?2, 'file:///nowhere', 0, 'test', 'default')")
                  .setParameter(1, twin)
                  .setParameter(2, name + "-twin")
                  .executeUpdate();
              em.createNativeQuery(
                      "INSERT INTO dataset_version (artifact_id, team, name, version, format, records, source, created_by)"
                          + " VALUES (?1, 'default', ?2, 1, 'text', 1, 'test', 'test')")
                  .setParameter(1, twin)
                  .setParameter(2, name + "-twin")
                  .executeUpdate();
            });
    given()
        .contentType(ContentType.JSON)
        .body(
            Map.of(
                "template",
                template,
                "params",
                Map.of(
                    "latest",
                    name + ":v9",
                    "aliased",
                    name + "@no-such-alias",
                    "prefixed",
                    v1.substring(0, 8))))
        .post("/api/v1/runs")
        .then()
        .statusCode(422)
        .body("errors.find { it.path == 'params.prefixed' }.message", containsString("matches 2"))
        .body(
            "errors.find { it.path == 'params.latest' }.message",
            containsString("no dataset '" + name + "' with version 9"))
        .body(
            "errors.find { it.path == 'params.aliased' }.message",
            containsString("no alias 'no-such-alias'"));
  }
}
