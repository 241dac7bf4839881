package dev.trainyard.backend.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trainyard.backend.local.LocalDatabase;
import dev.trainyard.workflow.RunStatus;
import dev.trainyard.workflow.StepStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * V8 over local mode's real PostgreSQL: the database itself refuses a status outside the enums
 * (written as the application's role), accepts every enum value, keeps the rows written before it,
 * and has the artifact-id indexes. Plain JUnit over LocalDatabase and the real migrations.
 */
class StatusConstraintsTest {
  static Path home;
  static LocalDatabase database;

  @BeforeAll
  static void start() throws Exception {
    home = Files.createTempDirectory("trainyard-status-checks");
    database = LocalDatabase.start(home, 0);
    migrate(MigrationVersion.fromVersion("7"));
    // Rows as the application wrote them before V8, one per status it writes.
    try (Connection c = app()) {
      exec(
          c,
          "INSERT INTO template (name, created_by) VALUES ('tpl', 'alice')",
          "INSERT INTO template_version (template_name, version, spec, spec_sha256, created_by) "
              + "VALUES ('tpl', 1, 'x', 'x', 'alice')");
      for (RunStatus s : RunStatus.values()) {
        insertRun(c, "old-" + s, s.name());
      }
      for (StepStatus s : StepStatus.values()) {
        insertStep(c, "old-RUNNING", "s-" + s, s.name());
      }
    }
    migrate(MigrationVersion.LATEST);
  }

  @AfterAll
  static void stop() throws Exception {
    if (database != null) {
      database.close();
    }
    try (var files = Files.walk(home)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void rowsWrittenBeforeTheChecksStayAsTheyWere() throws Exception {
    try (Connection c = app()) {
      assertThat(strings(c, "SELECT status FROM run WHERE id LIKE 'old-%' ORDER BY status"))
          .containsExactlyInAnyOrder(names(RunStatus.values()));
      assertThat(strings(c, "SELECT status FROM step_attempt WHERE run_id = 'old-RUNNING'"))
          .containsExactlyInAnyOrder(names(StepStatus.values()));
    }
  }

  @Test
  void aRunWithAStatusOutsideRunStatusIsRefusedAndNotWritten() throws Exception {
    try (Connection c = app()) {
      assertCheckViolation(() -> insertRun(c, "bad-run", "DONE"), "run_status_check");
      assertCheckViolation(
          () -> exec(c, "UPDATE run SET status = 'succeeded' WHERE id = 'old-SUCCEEDED'"),
          "run_status_check");
      assertThat(strings(c, "SELECT id FROM run WHERE id = 'bad-run'")).isEmpty();
      assertThat(strings(c, "SELECT status FROM run WHERE id = 'old-SUCCEEDED'"))
          .containsExactly("SUCCEEDED");
    }
  }

  @Test
  void aStepOrAttemptWithAStatusOutsideStepStatusIsRefused() throws Exception {
    try (Connection c = app()) {
      assertCheckViolation(
          () -> insertStep(c, "old-RUNNING", "bad-step", "INTERRUPTED"), "step_status_check");
      assertCheckViolation(
          () ->
              exec(
                  c,
                  "UPDATE step_attempt SET status = 'DONE' WHERE run_id = 'old-RUNNING' "
                      + "AND step_id = 's-RUNNING'"),
          "step_attempt_status_check");
      assertThat(strings(c, "SELECT step_id FROM step WHERE step_id = 'bad-step'")).isEmpty();
    }
  }

  @Test
  void everyEnumValueIsAccepted() throws Exception {
    try (Connection c = app()) {
      for (RunStatus s : RunStatus.values()) {
        insertRun(c, "new-" + s, s.name());
      }
      for (StepStatus s : StepStatus.values()) {
        insertStep(c, "new-PENDING", "s-" + s, s.name());
      }
      assertThat(strings(c, "SELECT status FROM step WHERE run_id = 'new-PENDING'"))
          .containsExactlyInAnyOrder(names(StepStatus.values()));
    }
  }

  @Test
  void artifactIdLookupsHaveIndexes() throws Exception {
    try (Connection c = app()) {
      assertThat(
              strings(
                  c,
                  "SELECT tablename || ': ' || indexdef FROM pg_indexes "
                      + "WHERE indexname IN ('step_output_artifact_idx', 'alias_artifact_idx') "
                      + "ORDER BY tablename"))
          .containsExactly(
              "alias: CREATE INDEX alias_artifact_idx ON public.alias USING btree (artifact_id)",
              "step_output: CREATE INDEX step_output_artifact_idx ON public.step_output USING btree"
                  + " (artifact_id)");
    }
  }

  private interface Sql {
    void run() throws SQLException;
  }

  private static void assertCheckViolation(Sql sql, String constraint) {
    assertThatThrownBy(sql::run)
        .isInstanceOfSatisfying(
            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("23514"))
        .hasMessageContaining(constraint);
  }

  private static void insertRun(Connection c, String id, String status) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO run (id, template_name, template_version, status, params, plan, launched_by)"
                + " VALUES (?, 'tpl', 1, ?, '{}', '{}', 'alice')")) {
      s.setString(1, id);
      s.setString(2, status);
      s.executeUpdate();
    }
  }

  private static void insertStep(Connection c, String runId, String stepId, String status)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO step (run_id, step_id, position, kind, status, needs) "
                + "VALUES (?, ?, 0, 'train', ?, '[]')")) {
      s.setString(1, runId);
      s.setString(2, stepId);
      s.setString(3, status);
      s.executeUpdate();
    }
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO step_attempt (run_id, step_id, attempt, status) VALUES (?, ?, 1, ?)")) {
      s.setString(1, runId);
      s.setString(2, stepId);
      s.setString(3, status);
      s.executeUpdate();
    }
  }

  private static void exec(Connection c, String... sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String one : sql) {
        s.execute(one);
      }
    }
  }

  private static List<String> strings(Connection c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      while (r.next()) {
        out.add(r.getString(1));
      }
    }
    return out;
  }

  private static String[] names(Enum<?>[] values) {
    return java.util.Arrays.stream(values).map(Enum::name).toArray(String[]::new);
  }

  private static Connection app() throws SQLException {
    return DriverManager.getConnection(
        database.jdbcUrl(), database.app().username(), database.app().password());
  }

  private static void migrate(MigrationVersion target) {
    Flyway.configure()
        .dataSource(database.jdbcUrl(), database.owner().username(), database.owner().password())
        .locations("classpath:db/migration")
        .placeholders(Map.of("app_role", LocalDatabase.APP))
        .target(target)
        .load()
        .migrate();
  }
}
