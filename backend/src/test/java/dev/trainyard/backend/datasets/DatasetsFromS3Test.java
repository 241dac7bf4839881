package dev.trainyard.backend.datasets;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.S3ProxyTestResource;
import dev.trainyard.backend.S3StoreProfile;
import dev.trainyard.backend.api.Api;
import dev.trainyard.backend.home.StoredArtifacts;
import dev.trainyard.worker.store.S3StoreSettings;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Issue 13 item 2: a dataset registered from {@code s3://} (an object or a "directory" prefix in a
 * bucket inside trainyard.datasets.s3-roots, on a real S3 API server) is copied into the artifact
 * store and checked exactly as a {@code file://} one.
 */
@QuarkusTest
@TestProfile(S3StoreProfile.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class DatasetsFromS3Test {
  private static final String BUCKET = S3ProxyTestResource.BUCKET;

  @Inject StoredArtifacts store;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static String sha256(String text) throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  /** Puts an object as an S3 client does that the store's settings build (plain signed bodies). */
  private static void put(String key, String content) {
    try (S3Client s3 =
        new S3StoreSettings(
                "s3://" + BUCKET,
                Optional.of(S3ProxyTestResource.endpoint()),
                Optional.of("us-east-1"),
                true)
            .newClient()) {
      s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString(content));
    }
  }

  /** Manifests in the store's prefix: what a refusal must not add to. */
  private static List<String> manifests() {
    try (S3Client s3 = S3ProxyTestResource.client()) {
      return s3
          .listObjectsV2Paginator(
              b -> b.bucket(BUCKET).prefix(S3ProxyTestResource.PREFIX + "/artifacts/"))
          .contents()
          .stream()
          .map(S3Object::key)
          .filter(k -> k.endsWith(".manifest"))
          .toList();
    }
  }

  private List<String> stagingLeft() throws Exception {
    Path area = store.stagingArea();
    try (Stream<Path> s = Files.list(area)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(DatasetRegistry.STAGING + "-"))
          .toList();
    }
  }

  private static Response register(String name, String uri) {
    return given()
        .contentType(ContentType.JSON)
        .body(Map.of("name", name, "uri", uri))
        .post("/api/v1/datasets");
  }

  private static final String CHAT =
      "{\"messages\": [{\"role\": \"user\", \"content\": \"2+2?\"},"
          + " {\"role\": \"assistant\", \"content\": \"4\"}]}\n"
          + "{\"messages\": [{\"role\": \"user\", \"content\": \"Hauptstadt?\"},"
          + " {\"role\": \"assistant\", \"content\": \"Berlin 🇩🇪\"}]}\n";
  private static final String NOTES = "first document\n\nsecond document\n\nthird document\n";

  @Test
  void aPrefixInTheBucketBecomesAVersionInTheStoreWithEveryObjectCheckedAndHashed()
      throws Exception {
    String dir = S3ProxyTestResource.DATASETS + "/" + unique("corpus");
    put(dir + "/chat.jsonl", CHAT);
    put(dir + "/more/notes.txt", NOTES);
    put(dir + "/empty/", ""); // a console's "folder" marker: no content, not a file
    String name = unique("s3corpus");
    String uri = "s3://" + BUCKET + "/" + dir + "/";

    JsonPath v1 = register(name, uri).then().statusCode(201).extract().jsonPath();
    assertThat(v1.getInt("version")).isEqualTo(1);
    assertThat(v1.getString("format")).isEqualTo("mixed");
    assertThat(v1.getLong("records")).isEqualTo(2 + 3);
    assertThat(v1.getString("source")).isEqualTo(uri);
    assertThat(v1.getList("files.path")).containsExactly("chat.jsonl", "more/notes.txt");
    assertThat(v1.getList("files.sha256")).containsExactly(sha256(CHAT), sha256(NOTES));
    assertThat(v1.getList("files.format")).containsExactly("chat", "text");
    String id = v1.getString("id");
    assertThat(manifests()).contains(S3ProxyTestResource.PREFIX + "/artifacts/" + id + ".manifest");
    assertThat(stagingLeft()).isEmpty();

    // The same objects again are the same version; changed content is version 2, and v1 still
    // names the old bytes.
    assertThat(register(name, uri).then().statusCode(201).extract().jsonPath().getString("id"))
        .isEqualTo(id);
    put(dir + "/more/notes.txt", NOTES + "\nfourth document\n");
    JsonPath v2 = register(name, uri).then().statusCode(201).extract().jsonPath();
    assertThat(v2.getInt("version")).isEqualTo(2);
    assertThat(v2.getLong("records")).isEqualTo(2 + 4);
    String v1Id = given().get("/api/v1/artifacts/" + name + ":v1").then().extract().path("id");
    assertThat(v1Id).isEqualTo(id);

    // One object is a single-file dataset, named by its key's last part.
    JsonPath single =
        register(unique("s3chat"), "s3://" + BUCKET + "/" + dir + "/chat.jsonl")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath();
    assertThat(single.getString("format")).isEqualTo("chat");
    assertThat(single.getList("files.path")).containsExactly("chat.jsonl");
    assertThat(single.getList("files.sha256")).containsExactly(sha256(CHAT));
  }

  @Test
  void aBadRecordInAnyObjectRefusesThePrefixNamingFileLineAndFieldAndRegistersNothing()
      throws Exception {
    String dir = S3ProxyTestResource.DATASETS + "/" + unique("broken");
    put(dir + "/good.jsonl", "{\"text\": \"fine\"}\n");
    StringBuilder bad = new StringBuilder();
    for (int i = 1; i <= 1300; i++) {
      bad.append(i == 1234 ? "{\"text\": 7}" : "{\"text\": \"line " + i + "\"}").append('\n');
    }
    put(dir + "/part/b.jsonl", bad.toString());
    List<String> before = manifests();
    String name = unique("s3broken");

    JsonPath problem =
        register(name, "s3://" + BUCKET + "/" + dir).then().statusCode(422).extract().jsonPath();
    assertThat(problem.getList("errors.path")).containsExactly("part/b.jsonl:1234: text");
    assertThat(problem.getString("errors[0].message")).isEqualTo("must be a string");
    given().get("/api/v1/datasets/" + name).then().statusCode(404);
    assertThat(manifests()).isEqualTo(before);
    assertThat(stagingLeft()).isEmpty();
  }

  @Test
  void whatLiesOutsideTheS3RootsOrDoesNotExistGetsOneAnswerAndLooseKeysAreRefused() {
    put(S3ProxyTestResource.DATASETS + "-evil/x.jsonl", "{\"text\": \"x\"}\n");
    put(S3ProxyTestResource.PREFIX + "/secret.jsonl", "{\"text\": \"x\"}\n");
    List<String> before = manifests();
    for (String uri :
        List.of(
            // the artifact store's own prefix, beside the root
            "s3://" + BUCKET + "/" + S3ProxyTestResource.PREFIX + "/secret.jsonl",
            "s3://" + BUCKET + "/" + S3ProxyTestResource.PREFIX,
            // a sibling whose name merely starts like the root
            "s3://" + BUCKET + "/" + S3ProxyTestResource.DATASETS + "-evil/x.jsonl",
            "s3://" + BUCKET + "/" + S3ProxyTestResource.DATASETS + "/no-such-prefix",
            "s3://no-such-bucket/" + S3ProxyTestResource.DATASETS + "/x.jsonl")) {
      register("outside", uri)
          .then()
          .statusCode(422)
          .body("errors[0].path", org.hamcrest.Matchers.equalTo("uri"))
          .body(
              "errors[0].message",
              org.hamcrest.Matchers.equalTo(
                  "no readable object or prefix at this URI inside the S3 dataset roots"
                      + " (trainyard.datasets.s3-roots)"));
    }
    for (String uri :
        List.of(
            "s3://" + BUCKET + "/" + S3ProxyTestResource.DATASETS + "/../" + "team-store",
            "s3://" + BUCKET + "/" + S3ProxyTestResource.DATASETS + "//x",
            "s3://" + BUCKET + "/" + S3ProxyTestResource.DATASETS + "/x?versionId=1",
            "s3://Bad_Bucket/x",
            "S3://" + BUCKET + "/x")) {
      register("loose", uri)
          .then()
          .statusCode(422)
          .body("errors[0].path", org.hamcrest.Matchers.equalTo("uri"))
          .body("errors[0].message", org.hamcrest.Matchers.containsString("s3://bucket/key"));
    }
    assertThat(manifests()).isEqualTo(before);
    given().get("/api/v1/datasets/outside").then().statusCode(404);
  }
}
