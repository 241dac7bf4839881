package dev.trainyard.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerMainTest {
  @Test
  void readsTheDocumentedCommandLine() {
    WorkerMain.Options options =
        WorkerMain.parse(
            new String[] {
              "--temporal",
              "temporal.internal:7233",
              "--namespace",
              "ml",
              "--pool",
              "default",
              "--pool=h100",
              "--root",
              "/var/lib/trainyard",
              "--max-concurrent-steps",
              "4",
              "--termination-grace",
              "30",
              "--task-key",
              "/etc/trainyard/task-signing.pub"
            });

    assertThat(options)
        .isEqualTo(
            new WorkerMain.Options(
                "temporal.internal:7233",
                "ml",
                List.of("default", "h100"),
                Path.of("/var/lib/trainyard"),
                4,
                Duration.ofSeconds(30),
                new dev.trainyard.workflow.trust.TemporalConnection.Settings(
                    false, null, null, null, null),
                Path.of("/etc/trainyard/task-signing.pub"),
                dev.trainyard.worker.store.StoreChoice.local()));
  }

  @Test
  void choosesAnS3StoreWithItsEndpointAndCacheSize() {
    WorkerMain.Options options =
        WorkerMain.parse(
            new String[] {
              "--task-key",
              "k.pub",
              "--store",
              "s3://ml-artifacts/team-a",
              "--s3-endpoint",
              "http://minio.internal:9000",
              "--cache-size",
              "200G"
            });

    var s3 = options.store().s3().orElseThrow();
    assertThat(s3.location().bucket()).isEqualTo("ml-artifacts");
    assertThat(s3.location().prefix()).isEqualTo("team-a/");
    assertThat(s3.endpoint()).contains(java.net.URI.create("http://minio.internal:9000"));
    assertThat(s3.pathStyle()).isTrue();
    assertThat(options.store().cacheBytes()).isEqualTo(200L << 30);
  }

  @Test
  void refusesAStoreThatIsNeitherLocalNorS3() {
    assertThatThrownBy(
            () -> WorkerMain.parse(new String[] {"--task-key", "k", "--store", "/mnt/nfs"}))
        .hasMessageContaining("'local' or s3://bucket[/prefix]");
    assertThatThrownBy(
            () ->
                WorkerMain.parse(new String[] {"--task-key", "k", "--store", "s3://Bad_Bucket/x"}))
        .hasMessageContaining("not an S3 bucket name");
    assertThatThrownBy(
            () -> WorkerMain.parse(new String[] {"--task-key", "k", "--cache-size", "lots"}))
        .hasMessageContaining("cache size");
    assertThatThrownBy(
            () -> WorkerMain.parse(new String[] {"--task-key", "k", "--s3-endpoint", "http://x"}))
        .hasMessageContaining("need --store s3://");
  }

  @Test
  void servesTheDefaultPoolOnLocalTemporalWhenToldNothing() {
    WorkerMain.Options options = WorkerMain.parse(new String[] {"--task-key", "k.pub"});

    assertThat(options.temporal()).isEqualTo("127.0.0.1:7233");
    assertThat(options.pools()).containsExactly("default");
    assertThat(options.maxConcurrentSteps()).isNull();
  }

  @Test
  void rejectsUnknownOptionsAndMissingValues() {
    assertThatThrownBy(() -> WorkerMain.parse(new String[] {"--gpus", "2"}))
        .hasMessageContaining("unknown option: --gpus");
    assertThatThrownBy(() -> WorkerMain.parse(new String[] {"--pool"}))
        .hasMessageContaining("--pool needs a value");
    assertThat(WorkerMain.parse(new String[] {"--help"})).isNull();
  }

  @Test
  void refusesToStartWithoutTheBackendsPublicKeyOrWithHalfTheTlsSettings(
      @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> WorkerMain.parse(new String[0]))
        .hasMessageContaining("--task-key is required");
    Path cert = java.nio.file.Files.writeString(dir.resolve("client.pem"), "x");
    WorkerMain.Options halfTls =
        WorkerMain.parse(new String[] {"--task-key", "k.pub", "--tls-cert", cert.toString()});
    // Checked first thing in run(): the flag and the file of each problem.
    assertThatThrownBy(() -> halfTls.connection(java.util.Map.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("--tls-cert and --tls-key go together (mTLS): --tls-key is not set")
        .hasMessageContaining("--tls-cert " + cert + ": not a PEM certificate");
    WorkerMain.Options keyInTheClear = WorkerMain.parse(new String[] {"--task-key", "k.pub"});
    assertThatThrownBy(
            () ->
                keyInTheClear.connection(
                    java.util.Map.of("TRAINYARD_TEMPORAL_API_KEY", "s3cret-key")))
        .hasMessageContaining("an API key (TRAINYARD_TEMPORAL_API_KEY) needs TLS")
        .hasMessageNotContaining("s3cret-key");
  }
}
