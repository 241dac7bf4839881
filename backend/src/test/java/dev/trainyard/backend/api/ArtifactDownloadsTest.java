package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.config.TrainyardConfig;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Issue 13 item 5: one stored file with byte ranges and its hash, or a whole artifact as tar. */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class ArtifactDownloadsTest {
  @Inject TrainyardConfig config;

  private static final String LONG_PATH =
      "deeply/nested/" + "a-directory-name-that-is-long/".repeat(4) + "file-beyond-100-bytes.bin";

  private Map<String, byte[]> files;
  private String id;

  @BeforeEach
  void storeAnArtifact() throws Exception {
    Api.signIn();
    Random random = new Random(13);
    byte[] weights = new byte[300_000];
    random.nextBytes(weights);
    files = new LinkedHashMap<>();
    files.put(
        "config.json", ("{\"vocab_size\": 256, \"n\": \"" + UUID.randomUUID() + "\"}").getBytes());
    files.put("model.safetensors", weights);
    files.put("train/shard-00000.tokens", "0123456789abcdefghij".getBytes());
    files.put("empty.txt", new byte[0]);
    files.put(LONG_PATH, "long name".getBytes());
    id = StoredArtifactFixture.store(config.home(), "checkpoint", null, "default", files);
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void aFullDownloadIsTheStoredBytesWithTheirSha256InTheHeaders() throws Exception {
    byte[] weights = files.get("model.safetensors");
    Response r = given().get("/api/v1/artifacts/" + id + "/files/model.safetensors");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.asByteArray()).isEqualTo(weights);
    assertThat(r.header("X-Content-SHA256")).isEqualTo(sha256(weights));
    assertThat(r.header("Repr-Digest"))
        .isEqualTo(
            "sha-256=:"
                + Base64.getEncoder()
                    .encodeToString(MessageDigest.getInstance("SHA-256").digest(weights))
                + ":");
    assertThat(r.header("Accept-Ranges")).isEqualTo("bytes");
    assertThat(r.header("Content-Length")).isEqualTo(String.valueOf(weights.length));
    assertThat(r.header("Content-Disposition")).startsWith("attachment;");
    assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
    // A nested file, addressed by its manifest path.
    assertThat(
            given()
                .get("/api/v1/artifacts/" + id + "/files/train/shard-00000.tokens")
                .then()
                .statusCode(200)
                .extract()
                .asByteArray())
        .isEqualTo(files.get("train/shard-00000.tokens"));
    assertThat(given().get("/api/v1/artifacts/" + id + "/files/empty.txt").asByteArray()).isEmpty();
  }

  @Test
  void aRangeReturnsExactlyThoseBytesWith206AndTheWholeFilesHash() throws Exception {
    byte[] weights = files.get("model.safetensors");
    String url = "/api/v1/artifacts/" + id + "/files/model.safetensors";
    Map<String, long[]> ranges =
        Map.of(
            "bytes=1000-1999", new long[] {1000, 1999},
            "bytes=299990-", new long[] {299990, 299999},
            "bytes=-7", new long[] {299993, 299999},
            "bytes=299000-999999999", new long[] {299000, 299999},
            "bytes=0-0", new long[] {0, 0});
    for (Map.Entry<String, long[]> range : ranges.entrySet()) {
      long first = range.getValue()[0];
      long last = range.getValue()[1];
      Response r = given().header("Range", range.getKey()).get(url);
      assertThat(r.statusCode()).as(range.getKey()).isEqualTo(206);
      assertThat(r.asByteArray())
          .as(range.getKey())
          .isEqualTo(Arrays.copyOfRange(weights, (int) first, (int) last + 1));
      assertThat(r.header("Content-Range"))
          .isEqualTo("bytes " + first + "-" + last + "/" + weights.length);
      assertThat(r.header("Content-Length")).isEqualTo(String.valueOf(last - first + 1));
      assertThat(r.header("X-Content-SHA256")).isEqualTo(sha256(weights));
    }
    // A resumed download whose copy is of other content gets the whole file again.
    Response stale =
        given()
            .header("Range", "bytes=10-")
            .header("If-Range", "\"" + "0".repeat(64) + "\"")
            .get(url);
    assertThat(stale.statusCode()).isEqualTo(200);
    assertThat(stale.asByteArray()).isEqualTo(weights);
    Response fresh =
        given()
            .header("Range", "bytes=10-")
            .header("If-Range", "\"" + sha256(weights) + "\"")
            .get(url);
    assertThat(fresh.statusCode()).isEqualTo(206);
  }

  @Test
  void aRangeWithNoByteInTheFileIs416WithItsSize() {
    for (String range : new String[] {"bytes=300000-", "bytes=400000-400010", "bytes=-0"}) {
      Response r =
          given()
              .header("Range", range)
              .get("/api/v1/artifacts/" + id + "/files/model.safetensors");
      assertThat(r.statusCode()).as(range).isEqualTo(416);
      assertThat(r.header("Content-Range")).isEqualTo("bytes */300000");
      assertThat(r.contentType()).startsWith("application/problem+json");
    }
    given()
        .header("Range", "bytes=0-")
        .get("/api/v1/artifacts/" + id + "/files/empty.txt")
        .then()
        .statusCode(416);
  }

  @Test
  void theTarListsEveryManifestFileWithItsContent() throws Exception {
    Response r = given().get("/api/v1/artifacts/" + id + "/archive");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.contentType()).startsWith("application/x-tar");
    assertThat(r.header("Content-Disposition")).contains(".tar");
    Map<String, byte[]> read = new LinkedHashMap<>();
    try (InputStream body = new ByteArrayInputStream(r.asByteArray());
        TarArchiveInputStream tar = new TarArchiveInputStream(body)) {
      for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
        assertThat(e.isFile()).as(e.getName()).isTrue();
        read.put(e.getName(), tar.readAllBytes());
      }
    }
    assertThat(read.keySet()).containsExactlyInAnyOrderElementsOf(files.keySet());
    files.forEach((path, content) -> assertThat(read.get(path)).as(path).isEqualTo(content));
  }

  @Test
  void pathsOutsideTheManifestAreRefused() {
    String base = "/api/v1/artifacts/" + id + "/files/";
    for (String raw :
        new String[] {
          "..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "train%2F..%2Fconfig.json", "train%5Cx"
        }) {
      int status = given().urlEncodingEnabled(false).get(base + raw).statusCode();
      assertThat(status).as(raw).isIn(400, 404);
    }
    given()
        .urlEncodingEnabled(false)
        .get(base + "train%2F..%2Fconfig.json")
        .then()
        .statusCode(400)
        .body("errors[0].path", org.hamcrest.Matchers.equalTo("path"));
    // Not a manifest file, and an artifact nobody stored: both answer as missing.
    given().get(base + "no-such-file.bin").then().statusCode(404);
    given()
        .get("/api/v1/artifacts/" + "f".repeat(64) + "/files/config.json")
        .then()
        .statusCode(404);
    given().get("/api/v1/artifacts/" + "f".repeat(64) + "/archive").then().statusCode(404);
  }

  @Test
  void aStoredFileReplacedByALinkIsNeverFollowed() throws Exception {
    String secret = "not for download " + UUID.randomUUID();
    Path outside = Files.createTempFile("trainyard-secret", ".txt");
    Files.writeString(outside, secret);
    String planted =
        StoredArtifactFixture.store(
            config.home(),
            "checkpoint",
            null,
            "default",
            Map.of("link.txt", ("to be replaced " + UUID.randomUUID()).getBytes()));
    Path dir = config.home().toRealPath().resolve("artifacts").resolve(planted);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.delete(dir.resolve("link.txt"));
    Files.createSymbolicLink(dir.resolve("link.txt"), outside);
    Response r = given().get("/api/v1/artifacts/" + planted + "/files/link.txt");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.asString()).doesNotContain(secret);
    byte[] tar;
    try {
      tar = given().get("/api/v1/artifacts/" + planted + "/archive").asByteArray();
    } catch (RuntimeException cutShort) {
      tar = new byte[0]; // the server ends the stream at the file it refuses to open
    }
    assertThat(new String(tar, StandardCharsets.ISO_8859_1)).doesNotContain(secret);
  }
}
