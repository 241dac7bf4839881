package dev.trainyard.backend.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Trainyard's own settings ({@code trainyard.*} in application.properties or TRAINYARD_* env vars).
 */
@ConfigMapping(prefix = "trainyard")
public interface TrainyardConfig {
  /** Where local mode keeps its database, artifacts and work dirs. */
  Path home();

  Database database();

  Audit audit();

  interface Database {
    /**
     * Start even when the application's database role is a superuser or owns the tables (it could
     * then rewrite the audit log unseen). Off: such a role stops the start (DatabasePrivileges).
     */
    @WithDefault("false")
    boolean allowPrivilegedRole();
  }

  interface Audit {
    /**
     * The HMAC key of the audit chain (team mode: a secret, e.g. TRAINYARD_AUDIT_HMAC_KEY, 32+
     * characters).
     */
    Optional<String> hmacKey();

    /** Without {@link #hmacKey}: the key's 0600 file, created at first start. */
    Path hmacKeyFile();

    /** The append-only file the chain head is written to at every append, outside the database. */
    Path anchorFile();
  }

  Temporal temporal();

  Worker worker();

  Auth auth();

  Datasets datasets();

  Events events();

  Http http();

  Local local();

  interface Local {
    /**
     * Local mode, at start: runs that were in flight when it last stopped (a crash, a kill) are
     * retried at once, reusing their completed steps; training resumes from its last checkpoint.
     * Off: they stay INTERRUPTED until retried by hand.
     */
    @WithDefault("true")
    boolean resumeInterrupted();
  }

  interface Http {
    /**
     * Host names (no port) the server answers for; {@code *} for any. Loopback by default, as local
     * mode listens there; team mode lists the names clients and workers use.
     */
    @WithDefault("localhost,127.0.0.1,[::1]")
    List<String> allowedHosts();

    /**
     * The largest request body of every endpoint but the uploads (JSON, YAML specs); a larger one
     * is answered 413 before it is read. Uploads stream up to {@code
     * trainyard.datasets.max-upload-size} instead (see BodyLimits).
     */
    @WithDefault("2M")
    io.quarkus.runtime.configuration.MemorySize maxBodySize();
  }

  interface Events {
    /** Server-sent event streams one caller may hold open at once; one more is answered 429. */
    @WithDefault("16")
    int maxStreamsPerCaller();
  }

  interface Datasets {
    /** Directories local dataset files must live in; nothing outside them can be registered. */
    List<Path> roots();

    /**
     * {@code s3://bucket[/prefix]} locations datasets may be registered from, read through {@code
     * trainyard.store.s3-endpoint}/{@code s3-region} with the AWS SDK's credential chain; unset:
     * {@code s3://} URIs are refused.
     */
    Optional<List<String>> s3Roots();

    /**
     * The largest dataset or checkpoint upload (bytes); a larger one is answered 413 and nothing is
     * kept. The HTTP layer's {@code quarkus.http.limits.max-body-size} is only a backstop above it
     * (application.properties); every other body is bounded by {@code
     * trainyard.http.max-body-size}.
     */
    @WithDefault("1G")
    io.quarkus.runtime.configuration.MemorySize maxUploadSize();
  }

  interface Auth {
    /** {@code local}: one user with a printed token; {@code oidc}: Keycloak (quarkus.oidc.*). */
    @WithDefault("local")
    String mode();

    /**
     * Fixes the local-mode token (otherwise random at the first start, kept in {@code
     * <home>/local-token} and read back at the next; POST /api/v1/auth/token/rotate replaces it).
     */
    Optional<String> localToken();
  }

  interface Temporal {
    /**
     * {@code embedded} starts the SDK's test server in-process on 127.0.0.1; else {@code
     * host:port}.
     */
    @WithDefault("embedded")
    String target();

    /** Port of the embedded service; 0 picks a free one. */
    @WithDefault("7233")
    int embeddedPort();

    @WithDefault("default")
    String namespace();

    /**
     * Ledger writes (catalog updates from running workflows) at once; each holds a database
     * connection, so keep it well under {@code quarkus.datasource.jdbc.max-size}.
     */
    @WithDefault("8")
    int ledgerConcurrency();

    /** Workflow tasks the backend processes at once; default one per CPU core (at least 2). */
    Optional<Integer> workflowTaskConcurrency();

    /**
     * Sticky execution of the workflow worker (a workflow's next task goes to the worker that holds
     * it in cache). Unset: on, except against a standalone SDK test server, which cannot recover a
     * workflow task stranded on a dead worker's sticky queue (see TemporalRuntime).
     */
    Optional<Boolean> stickyExecution();

    /**
     * TLS to an external Temporal (team mode): the CA of the server's certificate (unset: the JDK's
     * trust store) and, for mTLS, this client's certificate and its PKCS#8 PEM key. The embedded
     * service always uses the certificates it minted in {@code <home>/tls/}.
     */
    Tls tls();

    /**
     * A file holding an API key, sent as {@code authorization: Bearer <key>} (else the environment
     * variable {@code TRAINYARD_TEMPORAL_API_KEY}); needs TLS.
     */
    Optional<Path> apiKeyFile();
  }

  interface Tls {
    /** TLS with neither a CA nor a client certificate set (a public CA, e.g. Temporal Cloud). */
    @WithDefault("false")
    boolean enabled();

    Optional<Path> cert();

    Optional<Path> key();

    Optional<Path> ca();
  }

  Store store();

  /**
   * The artifact store the backend and its in-process worker use. Credentials for S3 are never
   * settings: the AWS SDK's chain finds them (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the file
   * AWS_SHARED_CREDENTIALS_FILE names, an instance or pod role).
   */
  interface Store {
    /** {@code local} ({@code <home>/artifacts}) or {@code s3://bucket[/prefix]}. */
    @WithDefault("local")
    String uri();

    /** An S3-compatible server's URL (MinIO, Ceph, s3proxy); keys are then path-style. */
    Optional<String> s3Endpoint();

    /** Default: AWS_REGION, else us-east-1 with an endpoint. */
    Optional<String> s3Region();

    /** Bound of the input cache under {@code <home>/cache} (S3 only); K, M, G, T suffixes. */
    @WithDefault("64G")
    String cacheSize();
  }

  interface Worker {
    /** Run an in-process worker (local mode). */
    @WithDefault("true")
    boolean embedded();

    @WithDefault("default")
    List<String> pools();

    @WithDefault("4")
    int maxConcurrentSteps();

    /** The {@code nvidia-smi} the in-process worker asks for its GPUs and their use. */
    @WithDefault("nvidia-smi")
    String nvidiaSmi();

    /** How often the in-process worker samples its GPUs (where it has any). */
    @WithDefault("5s")
    java.time.Duration gpuSampleInterval();
  }

  Schedules schedules();

  /** The schedules engine (docs/schedules.md). */
  interface Schedules {
    /** Off: this replica never fires ticks (another replica, or none, does). */
    @WithDefault("true")
    boolean enabled();

    /** How often each replica polls the lease and the due ticks. */
    @WithDefault("1s")
    java.time.Duration pollInterval();

    /** How long a holder's lease lasts unrenewed: after a crash, ticks wait at most this long. */
    @WithDefault("15s")
    java.time.Duration leaseTtl();
  }
}
