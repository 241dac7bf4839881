package dev.trainyard.backend.database;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.local.LocalDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
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
 * V9 over local mode's real PostgreSQL: runs launched before run_input existed get their rows from
 * their stored plans, one per parameter-bound input of a step; step outputs and bindings to
 * artifacts the catalog does not hold are not rows.
 */
class RunInputBackfillTest {
  static Path home;
  static LocalDatabase database;

  @BeforeAll
  static void start() throws Exception {
    home = Files.createTempDirectory("trainyard-run-input");
    database = LocalDatabase.start(home, 0);
    migrate(MigrationVersion.fromVersion("8"));
    // A run as the application stored it before V9: its plan binds a checkpoint parameter to both
    // steps, an earlier step's output to the second, and a dataset the catalog never had.
    String plan =
        """
        {"pipeline": "tpl", "steps": [
          {"id": "train", "kind": "sft", "inputs": [
            {"name": "params.base", "role": "input:model", "fromStep": null, "output": null,
             "artifactId": "base-id"},
            {"name": "params.data", "role": "input:data", "fromStep": null, "output": null,
             "artifactId": "missing-id"}]},
          {"id": "eval", "kind": "evaluate", "inputs": [
            {"name": "train.model", "role": "input:model", "fromStep": "train", "output": "model",
             "artifactId": null},
            {"name": "params.base", "role": "input:baseline", "fromStep": null, "output": null,
             "artifactId": "base-id"}]}]}
        """;
    try (Connection c = owner()) {
      exec(
          c,
          "INSERT INTO template (name, created_by) VALUES ('tpl', 'alice')",
          "INSERT INTO template_version (template_name, version, spec, spec_sha256, created_by) "
              + "VALUES ('tpl', 1, 'x', 'x', 'alice')",
          "INSERT INTO artifact (id, type, uri, size_bytes, created_by) "
              + "VALUES ('base-id', 'checkpoint', 'file:///base', 1, 'alice')",
          "INSERT INTO run (id, template_name, template_version, status, params, plan, launched_by)"
              + " VALUES ('old-run', 'tpl', 1, 'RUNNING', '{}', '"
              + plan
              + "', 'alice')",
          "INSERT INTO run (id, template_name, template_version, status, params, plan, launched_by)"
              + " VALUES ('no-steps', 'tpl', 1, 'SUCCEEDED', '{}', '{}', 'alice')",
          "INSERT INTO step (run_id, step_id, position, kind, status, needs) "
              + "VALUES ('old-run', 'train', 0, 'sft', 'RUNNING', '[]')",
          "INSERT INTO step (run_id, step_id, position, kind, status, needs) "
              + "VALUES ('old-run', 'eval', 1, 'evaluate', 'PENDING', '[\"train\"]')");
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
  void runsFromBeforeTheTableGetTheirInputsFromTheirPlans() throws Exception {
    try (Connection c = owner()) {
      assertThat(
              strings(
                  c,
                  "SELECT run_id || ' ' || step_id || ' ' || name || ' ' || role || ' ' || artifact_id"
                      + " FROM run_input ORDER BY step_id"))
          .containsExactly(
              "old-run eval params.base input:baseline base-id",
              "old-run train params.base input:model base-id");
    }
  }

  @Test
  void theArtifactLookupHasAnIndex() throws Exception {
    try (Connection c = owner()) {
      assertThat(
              strings(
                  c, "SELECT indexdef FROM pg_indexes WHERE indexname = 'run_input_artifact_idx'"))
          .containsExactly(
              "CREATE INDEX run_input_artifact_idx ON public.run_input USING btree (artifact_id)");
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

  private static Connection owner() throws SQLException {
    return DriverManager.getConnection(
        database.jdbcUrl(), database.owner().username(), database.owner().password());
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
