package dev.trainyard.backend.database;

import dev.trainyard.backend.config.TrainyardConfig;
import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Refuses to start when the application's database role could rewrite the audit log: a superuser
 * (pg_read_file, COPY TO PROGRAM, session_replication_role), a role that owns the catalog tables or
 * belongs to their owner (ALTER TABLE … DISABLE TRIGGER, setval), or one granted UPDATE, DELETE or
 * TRUNCATE on audit_event. Migrations run as the owner (quarkus.flyway.username) instead. {@code
 * trainyard.database.allow-privileged-role=true} starts anyway, with a warning.
 */
@ApplicationScoped
public class DatabasePrivileges {
  private static final Logger LOG = Logger.getLogger(DatabasePrivileges.class);

  @Inject AgroalDataSource dataSource;

  @Inject TrainyardConfig config;

  void onStart(@Observes StartupEvent event) throws SQLException {
    try (Connection connection = dataSource.getConnection()) {
      check(connection, config.database().allowPrivilegedRole());
    }
  }

  /** Throws when the connection's role is privileged, unless allowed (then it warns). */
  public static void check(Connection connection, boolean allowPrivileged) throws SQLException {
    List<String> problems = problems(connection);
    if (problems.isEmpty()) {
      return;
    }
    String message =
        "the application's database role "
            + String.join("; ", problems)
            + ". Connect as a role with ordinary grants (docs/security.md, \"Database roles\")";
    if (!allowPrivileged) {
      throw new IllegalStateException(
          message + ", or set trainyard.database.allow-privileged-role=true to accept it.");
    }
    LOG.warn(message + " (accepted: trainyard.database.allow-privileged-role=true).");
  }

  /** What the connection's role may do beyond ordinary grants; empty when nothing. */
  public static List<String> problems(Connection connection) throws SQLException {
    List<String> problems = new ArrayList<>();
    try (Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                """
            SELECT current_user,
                   r.rolsuper, r.rolbypassrls, r.rolreplication, r.rolcreaterole,
                   (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'public' AND pg_has_role(current_user, c.relowner, 'USAGE')) AS owned,
                   to_regclass('public.audit_event') IS NOT NULL
                     AND (has_table_privilege('public.audit_event', 'UPDATE') OR has_table_privilege('public.audit_event', 'DELETE')
                          OR has_table_privilege('public.audit_event', 'TRUNCATE')) AS rewrites_audit
            FROM pg_roles r WHERE r.rolname = current_user""")) {
      row.next();
      String role = row.getString(1);
      if (row.getBoolean(2)) {
        problems.add(role + " is a superuser");
      }
      if (row.getBoolean(3)) {
        problems.add(role + " bypasses row-level security");
      }
      if (row.getBoolean(4)) {
        problems.add(role + " has REPLICATION");
      }
      if (row.getBoolean(5)) {
        problems.add(role + " has CREATEROLE");
      }
      if (row.getLong(6) > 0) {
        problems.add(
            role
                + " owns (or is a member of the owner of) "
                + row.getLong(6)
                + " tables, sequences or indexes in schema public");
      }
      if (row.getBoolean(7)) {
        problems.add(role + " may UPDATE, DELETE or TRUNCATE audit_event");
      }
    }
    return problems;
  }
}
