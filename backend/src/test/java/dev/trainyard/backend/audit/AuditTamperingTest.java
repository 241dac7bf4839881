package dev.trainyard.backend.audit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Finding H1's audit half: someone who can write the database (here the tables' owner, who can
 * disable the append-only trigger and reset sequences) rewrites the log, and {@code
 * /api/v1/audit/verify} says so, from the HMAC the database never sees and the anchor kept outside
 * it. Each test restores the rows and the anchor, so the shared log is whole afterwards.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class AuditTamperingTest {
  private Path anchorFile;
  private byte[] anchorBefore;
  private long lastBefore;

  @BeforeEach
  void recordThreeEvents() throws Exception {
    Api.signIn();
    for (int i = 0; i < 3; i++) {
      given()
          .contentType(ContentType.JSON)
          .body(Map.of("reason", "x"))
          .post("/api/v1/runs/no-such-run/cancel")
          .then()
          .statusCode(404);
    }
    given().get("/api/v1/audit/verify").then().statusCode(200).body("intact", equalTo(true));
    anchorFile = PostgresTestResource.home().resolve("audit-anchor.log");
    anchorBefore = Files.readAllBytes(anchorFile);
    lastBefore = scalar("SELECT max(id) FROM audit_event");
    owner("CREATE TABLE audit_saved AS SELECT * FROM audit_event");
  }

  @AfterEach
  void restore() throws Exception {
    owner(
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update",
        "DELETE FROM audit_event",
        "INSERT INTO audit_event SELECT * FROM audit_saved",
        "DROP TABLE audit_saved",
        "SELECT setval('audit_event_id_seq', (SELECT max(id) FROM audit_event))",
        "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update");
    Files.write(anchorFile, anchorBefore); // the application appends to the end, wherever that is
    given().get("/api/v1/audit/verify").then().statusCode(200).body("intact", equalTo(true));
  }

  @Test
  void deletingTheNewestRowsAndResettingTheSequenceIsReported() throws Exception {
    long first = lastBefore - 1;
    owner(
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update",
        "DELETE FROM audit_event WHERE id >= " + first,
        "SELECT setval('audit_event_id_seq', " + (first - 1) + ")",
        "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update");
    // What the probe saw: the remaining chain links up perfectly.
    JsonPath verification = verify();
    assertThat(verification.getBoolean("intact")).isFalse();
    assertThat(problemsAt(verification, first))
        .anyMatch(p -> p.contains("anchored but is missing"));
    assertThat(problemsAt(verification, lastBefore))
        .anyMatch(p -> p.contains("anchored but is missing"));

    // The application then appends again, reusing the deleted ids: that row does not match its
    // anchor.
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("reason", "x"))
        .post("/api/v1/runs/no-such-run/cancel")
        .then()
        .statusCode(404);
    assertThat(scalar("SELECT max(id) FROM audit_event")).isEqualTo(first);
    verification = verify();
    assertThat(verification.getBoolean("intact")).isFalse();
    assertThat(problemsAt(verification, first))
        .anyMatch(p -> p.contains("differs from its anchor"));
    assertThat(problemsAt(verification, lastBefore))
        .anyMatch(p -> p.contains("anchored but is missing"));
  }

  @Test
  void aChainRecomputedWithoutTheKeyIsReported() throws Exception {
    long edited = lastBefore - 2;
    // Rewrite one row and recompute the plain hash chain from it to the head, as the probe could.
    List<String> rewrite =
        new ArrayList<>(
            List.of(
                "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update",
                "UPDATE audit_event SET actor = 'someone-else' WHERE id = " + edited));
    try (Connection c = PostgresTestResource.ownerConnection();
        Statement s = c.createStatement();
        ResultSet rows =
            s.executeQuery(
                "SELECT id, at, actor, roles, teams, action, target, status, client_address, request_id, "
                    + "request_digest, prev_hash FROM audit_event WHERE id >= "
                    + edited
                    + " ORDER BY id")) {
      String prev = null;
      while (rows.next()) {
        long id = rows.getLong(1);
        String actor = id == edited ? "someone-else" : rows.getString(3);
        String prevHash = prev == null ? rows.getString(12) : prev;
        String hash =
            AuditLog.hash(
                prevHash,
                rows.getObject(2, OffsetDateTime.class),
                actor,
                rows.getString(4),
                rows.getString(5),
                rows.getString(6),
                rows.getString(7),
                rows.getInt(8),
                rows.getString(9),
                rows.getString(10),
                rows.getString(11));
        rewrite.add(
            "UPDATE audit_event SET prev_hash = '"
                + prevHash
                + "', hash = '"
                + hash
                + "' WHERE id = "
                + id);
        prev = hash;
      }
    }
    rewrite.add("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update");
    owner(rewrite.toArray(String[]::new));

    JsonPath verification = verify();
    assertThat(verification.getBoolean("intact")).isFalse();
    // The plain chain is consistent again; the MAC is what gives it away.
    assertThat(verification.getList("problems.problem", String.class))
        .noneMatch(p -> p.contains("content was altered"))
        .noneMatch(p -> p.contains("does not link"));
    for (long id = edited; id <= lastBefore; id++) {
      assertThat(problemsAt(verification, id)).anyMatch(p -> p.contains("MAC does not verify"));
    }
  }

  @Test
  void swappingTwoRowsIsReported() throws Exception {
    long a = lastBefore - 1;
    long b = lastBefore;
    owner(
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update",
        "UPDATE audit_event SET id = -1 WHERE id = " + a,
        "UPDATE audit_event SET id = " + a + " WHERE id = " + b,
        "UPDATE audit_event SET id = " + b + " WHERE id = -1",
        "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update");
    JsonPath verification = verify();
    assertThat(verification.getBoolean("intact")).isFalse();
    assertThat(problemsAt(verification, a))
        .anyMatch(p -> p.contains("MAC does not verify"))
        .anyMatch(p -> p.contains("differs from its anchor"));
    assertThat(problemsAt(verification, b)).anyMatch(p -> p.contains("MAC does not verify"));
  }

  @Test
  void rowsNewerThanTheAnchorAreUnverifiedNeverIntact() throws Exception {
    // As if the newest anchor line had not been written yet (a crash between commit and anchor).
    List<String> lines = Files.readAllLines(anchorFile);
    Files.write(anchorFile, lines.subList(0, lines.size() - 1));
    JsonPath verification = verify();
    assertThat(verification.getList("problems")).isEmpty();
    assertThat(verification.getBoolean("intact")).isFalse();
    assertThat(verification.getLong("unverifiedRows")).isEqualTo(1);
    assertThat(verification.getLong("firstUnverified")).isEqualTo(lastBefore);
    assertThat(verification.getLong("anchoredThrough")).isEqualTo(lastBefore - 1);
  }

  @Test
  void theKeyAndTheAnchorAreOwnerOnlyFilesAndTheKeyNeverReachesTheDatabase() throws Exception {
    Path keyFile = PostgresTestResource.home().resolve("secrets/audit-hmac.key");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(anchorFile)))
        .isEqualTo("rw-------");
    String key = Files.readString(keyFile).strip();
    assertThat(key).hasSizeGreaterThanOrEqualTo(AuditKey.MIN_LENGTH);
    assertThat(
            scalar("SELECT count(*) FROM audit_event WHERE audit_event::text LIKE '%" + key + "%'"))
        .isZero();
    assertThat(
            scalar(
                "SELECT count(*) FROM audit_event WHERE id > "
                    + (lastBefore - 3)
                    + " AND mac ~ '^[0-9a-f]{64}$'"))
        .isEqualTo(3);
  }

  private static JsonPath verify() {
    return given().get("/api/v1/audit/verify").then().statusCode(200).extract().jsonPath();
  }

  private static List<String> problemsAt(JsonPath verification, long id) {
    return verification.getList("problems.findAll { it.id == " + id + " }.problem", String.class);
  }

  private static void owner(String... statements) throws Exception {
    try (Connection c = PostgresTestResource.ownerConnection();
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (String sql : statements) {
        s.execute(sql);
      }
      c.commit();
    }
  }

  private static long scalar(String sql) throws Exception {
    try (Connection c = PostgresTestResource.ownerConnection();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }
}
