package dev.trainyard.backend;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real PostgreSQL server for the tests, fresh for each test run, which a fault test can restart
 * (same port, same data directory) while the application runs.
 */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {
  private static EmbeddedPostgres postgres;
  private static Path dataDir;
  private static int port;

  @Override
  public Map<String, String> start() {
    try {
      dataDir = Files.createTempDirectory("trainyard-test-pg");
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      postgres = open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Map.of(
        "quarkus.datasource.jdbc.url", postgres.getJdbcUrl("postgres", "postgres"),
        "quarkus.datasource.username", "postgres",
        "quarkus.datasource.password", "postgres");
  }

  /** Stops the server and starts it again over the same data: every open connection breaks. */
  public static synchronized void restart(java.time.Duration down) throws IOException, InterruptedException {
    postgres.close();
    Thread.sleep(down.toMillis());
    postgres = open();
  }

  /** Never "clean": zonky would delete the data directory on close, and a restart must find it. */
  private static EmbeddedPostgres open() throws IOException {
    return EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false).setPort(port).start();
  }

  @Override
  public void stop() {
    try {
      if (postgres != null) {
        postgres.close();
      }
      if (dataDir != null) {
        try (var files = Files.walk(dataDir)) {
          files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
