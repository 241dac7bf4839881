package dev.trainyard.worker;

import dev.trainyard.worker.gpu.GpuInventory;
import dev.trainyard.worker.steps.WorkerIdentity;
import dev.trainyard.workflow.trust.TaskVerifier;
import dev.trainyard.workflow.trust.TemporalConnection;
import dev.trainyard.workflow.trust.TemporalTls;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar trainyard-worker.jar --temporal host:7233 --namespace default --pool h100 --root
 * /var/lib/trainyard}. Runs until SIGTERM/SIGINT, then stops its steps and exits.
 *
 * <p>Arguments are parsed by hand: six options do not justify a dependency in a jar that is also
 * embedded in the backend.
 */
public final class WorkerMain {
  static final String USAGE =
      """
      usage: java -jar trainyard-worker.jar [options]
        --temporal HOST:PORT          Temporal frontend (default 127.0.0.1:7233)
        --namespace NAME              Temporal namespace (default default)
        --pool NAME                   pool to serve; repeat for several (default: default)
        --root DIR                    artifacts, work dirs (default /var/lib/trainyard)
        --max-concurrent-steps N      steps run at once per pool (default: GPU count, at least 1)
        --termination-grace SECONDS   SIGTERM-to-SIGKILL grace for cancelled steps (default 10)
        --tls                         TLS to Temporal, trusting the JDK's CAs (implied by --tls-*)
        --tls-ca FILE                 TLS: the CA bundle of the server's certificate (PEM)
        --tls-cert FILE               mTLS: this worker's certificate (PEM)
        --tls-key FILE                ... its private key (PKCS#8 PEM); with --tls-cert
                                      (local mode: <home>/tls/client.pem, client.key, ca.pem)
        --api-key-file FILE           API key sent as "authorization: Bearer" (else the environment
                                      variable TRAINYARD_TEMPORAL_API_KEY); needs TLS
        --task-key FILE               the backend's Ed25519 public key (PEM): only steps it signed run
                                      (required; local mode: <home>/keys/task-signing.pub)
        --store local|s3://BUCKET[/PREFIX]
                                      artifact store (default local: <root>/artifacts); S3 credentials
                                      come from the AWS SDK's chain (AWS_ACCESS_KEY_ID/..., or the file
                                      AWS_SHARED_CREDENTIALS_FILE names), never from the command line
        --s3-endpoint URL             an S3-compatible server (MinIO, Ceph, s3proxy); path-style keys
        --s3-region NAME              region (default: AWS_REGION, else us-east-1 with an endpoint)
        --cache-size BYTES            input cache under <root>/cache for an S3 store (default 64G;
                                      K, M, G, T suffixes)
      """;

  private static final java.util.Set<String> OPTIONS =
      java.util.Set.of(
          "--temporal",
          "--namespace",
          "--pool",
          "--root",
          "--max-concurrent-steps",
          "--termination-grace",
          "--tls",
          "--tls-cert",
          "--tls-key",
          "--tls-ca",
          "--api-key-file",
          "--task-key",
          "--store",
          "--s3-endpoint",
          "--s3-region",
          "--cache-size");

  /** Parsed command line. */
  record Options(
      String temporal,
      String namespace,
      List<String> pools,
      Path root,
      Integer maxConcurrentSteps,
      Duration terminationGrace,
      TemporalConnection.Settings temporalSettings,
      Path taskKey,
      dev.trainyard.worker.store.StoreChoice store) {
    /** TLS settings as given (checked by {@link #connection}), or null for plaintext. */
    TemporalTls tls() {
      TemporalConnection.Settings t = temporalSettings;
      return t.tls() || t.cert() != null || t.key() != null || t.ca() != null
          ? new TemporalTls(t.cert(), t.key(), t.ca())
          : null;
    }

    /**
     * The checked connection: every missing, unreadable or mismatched file, named by its flag.
     *
     * @throws IllegalStateException naming the flags and files
     */
    TemporalConnection connection(java.util.Map<String, String> env) {
      try {
        return TemporalConnection.configure(temporalSettings, env, SETTING_NAMES);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }

    /** Secret files steps must not read. */
    List<Path> secrets() {
      List<Path> secrets = new ArrayList<>();
      if (tls() != null && tls().key() != null) {
        secrets.add(tls().key());
      }
      if (temporalSettings.apiKeyFile() != null) {
        secrets.add(temporalSettings.apiKeyFile());
      }
      return List.copyOf(secrets);
    }
  }

  static final TemporalConnection.SettingNames SETTING_NAMES =
      new TemporalConnection.SettingNames(
          "--tls", "--tls-cert", "--tls-key", "--tls-ca", "--api-key-file");

  private WorkerMain() {}

  public static void main(String[] args) throws InterruptedException {
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    if (options == null) {
      System.out.print(USAGE);
      return;
    }
    try {
      run(options, System.out);
    } catch (IllegalStateException e) {
      System.err.println("trainyard worker: " + e.getMessage());
      System.exit(1);
    }
  }

  static void run(Options options, PrintStream out) throws InterruptedException {
    // Checked first: a bad TLS file or API key stops the worker before anything else starts.
    TemporalConnection connection = options.connection(System.getenv());
    GpuInventory gpus = GpuInventory.detect();
    int concurrency =
        options.maxConcurrentSteps() != null
            ? options.maxConcurrentSteps()
            : Math.max(1, gpus.count());
    // Steps never see the worker root but their own share of it; the TLS key may live elsewhere.
    WorkerConfig config =
        new WorkerConfig(
            options.root(),
            options.pools(),
            concurrency,
            options.terminationGrace(),
            options.secrets());

    TaskVerifier verifier;
    try {
      verifier = TaskVerifier.fromPem(options.taskKey());
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot read the backend's public key: " + e.getMessage(), e);
    }
    WorkflowServiceStubsOptions.Builder stubs =
        connection.applyTo(WorkflowServiceStubsOptions.newBuilder());
    stubs.setTarget(options.temporal());
    WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(stubs.build());
    WorkflowClient client =
        WorkflowClient.newInstance(
            service, WorkflowClientOptions.newBuilder().setNamespace(options.namespace()).build());
    TrainyardWorker worker =
        options.store().isLocal()
            ? new TrainyardWorker(config, client, gpus, verifier)
            : new TrainyardWorker(
                config, client, gpus, options.store().open(config.root()), verifier);

    out.println("trainyard worker " + WorkerIdentity.current());
    out.println(
        "  temporal: "
            + options.temporal()
            + " (namespace "
            + options.namespace()
            + ", "
            + connection.describe()
            + ")");
    out.println("  root:     " + config.root().toAbsolutePath());
    out.println("  store:    " + options.store().describe(config.root().toAbsolutePath()));
    out.println(
        "  pools:    "
            + String.join(", ", config.pools())
            + " ("
            + concurrency
            + " concurrent step(s) each)");
    out.println("  " + gpus.describe());
    try {
      worker.start();
    } catch (RuntimeException e) {
      // Usually Temporal unreachable; exit non-zero and let the supervisor (systemd, Kubernetes)
      // retry.
      service.shutdownNow();
      throw new IllegalStateException(
          "cannot start polling " + options.temporal() + ": " + e.getMessage(), e);
    }

    CountDownLatch stopped = new CountDownLatch(1);
    // The JVM runs shutdown hooks on SIGTERM and SIGINT: stop the steps' process groups before
    // exiting.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  out.println("trainyard worker: stopping");
                  worker.close();
                  service.shutdown();
                  stopped.countDown();
                  out.println("trainyard worker: stopped");
                },
                "trainyard-worker-shutdown"));
    out.println("trainyard worker: polling");
    stopped.await();
  }

  /** The options, or {@code null} when help was asked for. */
  static Options parse(String[] args) {
    String temporal = "127.0.0.1:7233";
    String namespace = "default";
    List<String> pools = new ArrayList<>();
    Path root = Path.of("/var/lib/trainyard");
    Integer maxConcurrent = null;
    Duration grace = WorkerConfig.DEFAULT_TERMINATION_GRACE;
    Path tlsCert = null;
    Path tlsKey = null;
    Path tlsCa = null;
    boolean tlsFlag = false;
    Path apiKeyFile = null;
    Path taskKey = null;
    String store = null;
    String s3Endpoint = null;
    String s3Region = null;
    String cacheSize = dev.trainyard.worker.store.StoreChoice.DEFAULT_CACHE_SIZE;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        value = arg.substring(eq + 1);
        arg = arg.substring(0, eq);
      }
      if (arg.equals("--help") || arg.equals("-h")) {
        return null;
      }
      if (arg.equals("--tls") && value == null) {
        tlsFlag = true; // a flag, no value
        continue;
      }
      if (!OPTIONS.contains(arg)) {
        throw new IllegalArgumentException(
            arg.startsWith("-") ? "unknown option: " + arg : "unexpected argument: " + arg);
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(arg + " needs a value");
        }
        value = args[++i];
      }
      switch (arg) {
        case "--temporal" -> temporal = value;
        case "--namespace" -> namespace = value;
        case "--pool" -> pools.add(value);
        case "--root" -> root = Path.of(value);
        case "--max-concurrent-steps" -> maxConcurrent = positiveInt(arg, value);
        case "--termination-grace" -> grace = Duration.ofSeconds(positiveInt(arg, value));
        case "--tls-cert" -> tlsCert = Path.of(value);
        case "--tls-key" -> tlsKey = Path.of(value);
        case "--tls-ca" -> tlsCa = Path.of(value);
        case "--api-key-file" -> apiKeyFile = Path.of(value);
        case "--task-key" -> taskKey = Path.of(value);
        case "--store" -> store = value;
        case "--s3-endpoint" -> s3Endpoint = value;
        case "--s3-region" -> s3Region = value;
        case "--cache-size" -> cacheSize = value;
        default -> throw new IllegalArgumentException("unknown option: " + arg);
      }
    }
    if (pools.isEmpty()) {
      pools.add("default");
    }
    TemporalConnection.Settings temporalSettings =
        new TemporalConnection.Settings(tlsFlag, tlsCert, tlsKey, tlsCa, apiKeyFile);
    if (taskKey == null) {
      throw new IllegalArgumentException(
          "--task-key is required: the backend's public key, which every step must be signed with");
    }
    if (store == null && (s3Endpoint != null || s3Region != null)) {
      throw new IllegalArgumentException("--s3-endpoint and --s3-region need --store s3://...");
    }
    dev.trainyard.worker.store.StoreChoice storeChoice =
        dev.trainyard.worker.store.StoreChoice.parse(
            store,
            java.util.Optional.ofNullable(s3Endpoint),
            java.util.Optional.ofNullable(s3Region),
            cacheSize);
    return new Options(
        temporal,
        namespace,
        List.copyOf(pools),
        root,
        maxConcurrent,
        grace,
        temporalSettings,
        taskKey,
        storeChoice);
  }

  private static int positiveInt(String option, String value) {
    try {
      int n = Integer.parseInt(value);
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(
        option + " takes a non-negative whole number, got '" + value + "'");
  }
}
