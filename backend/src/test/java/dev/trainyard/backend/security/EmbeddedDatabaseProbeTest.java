package dev.trainyard.backend.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.trainyard.backend.database.DatabasePrivileges;
import dev.trainyard.backend.local.LocalDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Finding H1, the probe's own steps: another local account against local mode's PostgreSQL, and the
 * application's role against the server's dangerous functions. Plain JUnit over LocalDatabase and
 * the real migrations (no Quarkus needed to show it).
 */
class EmbeddedDatabaseProbeTest {
  static Path home;
  static LocalDatabase database;
  static OtherUnixUser probe;

  @BeforeAll
  static void start() throws Exception {
    home = Files.createTempDirectory("trainyard-probe-home");
    // As wide as homes were before (0755): only the secrets' own modes may keep the probe out.
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    database = LocalDatabase.start(home, 0);
    migrate(database);
    probe = OtherUnixUser.create();
  }

  @AfterAll
  static void stop() throws Exception {
    if (probe != null) {
      probe.close();
    }
    if (database != null) {
      database.close();
    }
    deleteTree(home);
  }

  @Test
  void anotherUnixUserCannotLogInToTheEmbeddedDatabaseWithoutThePassword() throws Exception {
    assertThat(OtherUnixUser.exec(java.util.List.of("sh", "-c", "command -v psql")).exitCode())
        .as("psql (Debian's postgresql-client) is needed to repeat the probe")
        .isZero();
    String readToken = "select pg_read_file('" + home.resolve("secrets/db-password") + "')";
    for (String role : new String[] {"postgres", LocalDatabase.OWNER, LocalDatabase.APP}) {
      OtherUnixUser.Result tcp =
          probe.run(
              "psql",
              "-X",
              "-w",
              "-h",
              "127.0.0.1",
              "-p",
              Integer.toString(database.port()),
              "-U",
              role,
              "-d",
              "postgres",
              "-c",
              readToken);
      assertThat(tcp.exitCode()).as(role + " over TCP: " + tcp.output()).isNotZero();
      assertThat(tcp.output())
          .containsAnyOf(
              "no password supplied", "no pg_hba.conf entry", "password authentication failed");
      assertThat(tcp.output())
          .doesNotContain(database.owner().password())
          .doesNotContain(database.app().password());
    }
    Path socketDir =
        database
            .socketDirectory()
            .orElseThrow(() -> new AssertionError("the home path is short: a socket is expected"));
    OtherUnixUser.Result socket =
        probe.run(
            "psql",
            "-X",
            "-w",
            "-h",
            socketDir.toString(),
            "-p",
            Integer.toString(database.port()),
            "-U",
            LocalDatabase.APP,
            "-d",
            "postgres",
            "-c",
            "select 1");
    assertThat(socket.exitCode()).as(socket.output()).isNotZero();
    assertThat(socket.output()).contains("Permission denied");
    OtherUnixUser.Result cat = probe.run("cat", home.resolve("secrets/db-password").toString());
    assertThat(cat.exitCode()).isNotZero();
    assertThat(cat.output())
        .contains("Permission denied")
        .doesNotContain(database.app().password());

    assertThat(mode(home.resolve("secrets"))).isEqualTo("rwx------");
    assertThat(mode(home.resolve("secrets/db-password"))).isEqualTo("rw-------");
    assertThat(mode(socketDir)).isEqualTo("rwx------");
    assertThat(Files.readAllLines(home.resolve("postgres/pg_hba.conf")))
        .filteredOn(l -> !l.startsWith("#") && !l.isBlank())
        .isNotEmpty()
        .allMatch(l -> l.endsWith("scram-sha-256"))
        .noneMatch(l -> l.contains("trust"));
  }

  @Test
  void theApplicationRoleCannotReadFilesRunProgramsOrGetAroundTheAuditTrigger() throws Exception {
    Path planted = home.resolve("copy-to-program-ran");
    try (Connection app = connect(database, database.app())) {
      refused(
          app,
          "SELECT pg_read_file('" + home.resolve("secrets/db-password") + "')",
          "permission denied");
      refused(app, "COPY (SELECT 1) TO PROGRAM 'touch " + planted + "'", "permission denied");
      refused(app, "SET session_replication_role = replica", "permission denied");
      refused(app, "DELETE FROM audit_event", "permission denied");
      refused(app, "UPDATE audit_event SET actor = 'x'", "permission denied");
      refused(app, "TRUNCATE audit_event", "permission denied");
      refused(app, "SELECT setval('audit_event_id_seq', 1)", "permission denied");
      refused(
          app, "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update", "must be owner");
      refused(app, "CREATE TABLE squat (x int)", "permission denied");
      // What it needs still works: reading and appending audit rows, and the catalog's ordinary
      // writes.
      try (Statement s = app.createStatement()) {
        s.executeQuery("SELECT count(*) FROM audit_event").close();
        s.executeQuery("SELECT nextval('audit_event_id_seq')").close();
        s.executeUpdate("UPDATE run SET status = status WHERE false");
        s.executeUpdate("DELETE FROM run WHERE false");
      }
      assertThat(DatabasePrivileges.problems(app)).isEmpty();
    }
    assertThat(planted).doesNotExist();
    try (Connection owner = connect(database, database.owner())) {
      assertThat(DatabasePrivileges.problems(owner)).anyMatch(p -> p.contains("owns"));
    }
  }

  @Test
  void theBackendRefusesToStartAsTheTablesOwnerUnlessToldTo() throws Exception {
    try (Connection owner = connect(database, database.owner());
        Connection app = connect(database, database.app())) {
      assertThatThrownBy(() -> DatabasePrivileges.check(owner, false))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("trainyard_owner owns")
          .hasMessageContaining("trainyard.database.allow-privileged-role=true");
      DatabasePrivileges.check(owner, true); // told otherwise: starts, with a warning
      DatabasePrivileges.check(app, false);
    }
  }

  @Test
  void aHomeFromBeforeTheRolesIsMigratedOnStartAndKeepsItsData() throws Exception {
    Path old = Files.createTempDirectory("trainyard-old-home");
    try {
      // What every home looked like until now: initdb's trust lines, everything owned by the
      // superuser.
      try (EmbeddedPostgres legacy =
          EmbeddedPostgres.builder()
              .setDataDirectory(old.resolve("postgres"))
              .setCleanDataDirectory(false)
              .setServerConfig("listen_addresses", "127.0.0.1")
              .start()) {
        String url = legacy.getJdbcUrl("postgres", "postgres");
        Flyway.configure()
            .dataSource(url, "postgres", "postgres")
            .locations("classpath:db/migration")
            .target("5")
            .load()
            .migrate();
        try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
            Statement s = c.createStatement()) {
          s.executeUpdate(
              "INSERT INTO audit_event (actor, roles, teams, action, target, status, request_id, request_digest, "
                  + "prev_hash, hash) VALUES ('local', 'admin', 'default', 'POST /x', '/x', 201, 'r1', 'd', repeat('0', 64), repeat('a', 64))");
          assertThat(DatabasePrivileges.problems(c))
              .anyMatch(p -> p.contains("postgres is a superuser"));
          assertThatThrownBy(() -> DatabasePrivileges.check(c, false))
              .hasMessageContaining("superuser");
        }
        assertThat(Files.readString(old.resolve("postgres/pg_hba.conf"))).contains("trust");
      }

      try (LocalDatabase migrated = LocalDatabase.start(old, 0)) {
        assertThat(Files.readAllLines(old.resolve("postgres/pg_hba.conf")))
            .noneMatch(l -> !l.startsWith("#") && l.contains("trust"));
        OtherUnixUser.Result superuser =
            probe.run(
                "psql",
                "-X",
                "-w",
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(migrated.port()),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-c",
                "select 1");
        assertThat(superuser.exitCode()).as(superuser.output()).isNotZero();
        migrate(migrated);
        try (Connection owner = connect(migrated, migrated.owner());
            Statement s = owner.createStatement();
            ResultSet foreign =
                s.executeQuery(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        + "WHERE n.nspname = 'public' AND c.relowner <> 'trainyard_owner'::regrole")) {
          foreign.next();
          assertThat(foreign.getLong(1))
              .as("objects in public not owned by trainyard_owner")
              .isZero();
        }
        try (Connection app = connect(migrated, migrated.app());
            Statement s = app.createStatement();
            ResultSet rows = s.executeQuery("SELECT actor FROM audit_event")) {
          assertThat(rows.next()).isTrue();
          assertThat(rows.getString(1)).isEqualTo("local");
          refused(app, "DELETE FROM audit_event", "permission denied");
        }
      }
      // The next start finds everything in place and skips the bootstrap.
      try (LocalDatabase again = LocalDatabase.start(old, 0);
          Connection app = connect(again, again.app())) {
        assertThat(DatabasePrivileges.problems(app)).isEmpty();
      }
    } finally {
      deleteTree(old);
    }
  }

  static void migrate(LocalDatabase db) {
    Flyway.configure()
        .dataSource(db.jdbcUrl(), db.owner().username(), db.owner().password())
        .locations("classpath:db/migration")
        .placeholders(Map.of("app_role", LocalDatabase.APP))
        .load()
        .migrate();
  }

  static Connection connect(LocalDatabase db, LocalDatabase.Credentials credentials)
      throws SQLException {
    return DriverManager.getConnection(
        db.jdbcUrl(), credentials.username(), credentials.password());
  }

  static void refused(Connection connection, String sql, String why) {
    assertThatThrownBy(
            () -> {
              try (Statement s = connection.createStatement()) {
                s.execute(sql);
              }
            })
        .as(sql)
        .isInstanceOf(SQLException.class)
        .hasMessageContaining(why);
    try {
      if (!connection.getAutoCommit()) {
        connection.rollback();
      }
    } catch (SQLException e) {
      fail(e.getMessage());
    }
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  static void deleteTree(Path dir) throws Exception {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
