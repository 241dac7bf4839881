package dev.trainyard.backend;

import dev.trainyard.backend.local.LocalDatabase;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;

/**
 * A real PostgreSQL server for the tests, fresh for each test run, which a fault test can restart
 * (same port, same data directory) while the application runs. It is local mode's own server
 * ({@link LocalDatabase}, in a temp home): the application connects as the app role with ordinary
 * grants, the migrations run as the owner, and the audit key and anchor live in that home too.
 */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {
  private static LocalDatabase postgres;
  private static Path home;
  private static int port;

  @Override
  public Map<String, String> start() {
    try {
      home = Files.createTempDirectory("trainyard-test-pg");
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      postgres = LocalDatabase.start(home, port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Map.of(
        "quarkus.datasource.jdbc.url", postgres.jdbcUrl(),
        "quarkus.datasource.username", postgres.app().username(),
        "quarkus.datasource.password", postgres.app().password(),
        "quarkus.flyway.username", postgres.owner().username(),
        "quarkus.flyway.password", postgres.owner().password(),
        "trainyard.audit.hmac-key-file", home.resolve("secrets/audit-hmac.key").toString(),
        "trainyard.audit.anchor-file", home.resolve("audit-anchor.log").toString());
  }

  /** Stops the server and starts it again over the same data: every open connection breaks. */
  public static synchronized void restart(java.time.Duration down)
      throws IOException, InterruptedException {
    postgres.close();
    Thread.sleep(down.toMillis());
    postgres = LocalDatabase.start(home, port);
  }

  /** The embedded server itself (its home, port and roles), for tests that probe it. */
  public static LocalDatabase database() {
    return postgres;
  }

  public static Path home() {
    return home;
  }

  /**
   * A connection as the owner of the tables: what a database writer other than the application (an
   * operator, a leaked migration credential) could do.
   */
  public static Connection ownerConnection() throws SQLException {
    return DriverManager.getConnection(
        postgres.jdbcUrl(), postgres.owner().username(), postgres.owner().password());
  }

  @Override
  public void stop() {
    try {
      if (postgres != null) {
        postgres.close();
      }
      if (home != null) {
        try (var files = Files.walk(home)) {
          files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
