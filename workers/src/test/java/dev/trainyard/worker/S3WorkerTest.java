package dev.trainyard.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.worker.gpu.GpuInventory;
import dev.trainyard.worker.store.FileTrees;
import dev.trainyard.worker.store.InputCache;
import dev.trainyard.worker.store.S3ArtifactStore;
import dev.trainyard.worker.store.S3ProxyServer;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import dev.trainyard.workflow.trust.TaskVerifier;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real worker whose store is S3 (s3proxy): a step's input comes from the bucket through the
 * worker's input cache, its output goes to the bucket, and the input is let go when the step ends.
 */
class S3WorkerTest {
  private static final String WORKFLOWS = "test-workflows";
  private static final String BUCKET = "worker-test";
  private static final KeyPair BACKEND = keyPair();

  @TempDir Path tmp;
  private S3ProxyServer server;
  private TestWorkflowEnvironment env;
  private TrainyardWorker worker;
  private S3ArtifactStore workerStore;
  private S3ArtifactStore elsewhere;

  @BeforeEach
  void setUp() throws Exception {
    server = S3ProxyServer.start(Files.createDirectories(tmp.resolve("s3")), BUCKET);
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    env.newWorker(WORKFLOWS)
        .registerWorkflowImplementationTypes(TrainyardWorkerTest.RunOneStepImpl.class);
    env.start();
    Path root = Files.createDirectories(tmp.resolve("worker-root"));
    workerStore =
        new S3ArtifactStore(
            server.client(),
            server.settings("s3://" + BUCKET + "/team"),
            new InputCache(root.resolve("cache"), 1 << 20));
    // The host that produced the input: its own cache, nothing shared with the worker but the
    // bucket.
    elsewhere =
        new S3ArtifactStore(
            server.client(),
            server.settings("s3://" + BUCKET + "/team"),
            new InputCache(tmp.resolve("other-host-cache"), 1 << 20));
    worker =
        new TrainyardWorker(
            new WorkerConfig(root, List.of("default"), 1, Duration.ofSeconds(2)),
            env.getWorkflowClient(),
            GpuInventory.none(),
            workerStore,
            new TaskVerifier(BACKEND.getPublic()));
    worker.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    worker.close();
    env.close();
    workerStore.close();
    elsewhere.close();
    server.close();
  }

  @Test
  void aStepReadsItsInputFromTheBucketAndItsOutputLandsThere() throws Exception {
    Path produced = Files.createDirectories(tmp.resolve("produced"));
    Files.writeString(produced.resolve("weights.bin"), "weights from another host");
    ProducedArtifact input = elsewhere.put(produced, "checkpoint");
    StepTask task =
        TrainyardWorkerTest.signed(
            new StepTask(
                "run-s3",
                "copy",
                "command",
                1,
                Map.of(
                    "run",
                    "cat \"$BASE/weights.bin\" > \"$TRAINYARD_OUTPUT/copy.bin\"",
                    "env",
                    Map.of("BASE", "${{ inputs.base }}")),
                Map.of("base", new ArtifactRef(input.id(), input.uri())),
                0,
                60),
            BACKEND);

    StepResult result =
        env.getWorkflowClient()
            .newWorkflowStub(
                TrainyardWorkerTest.RunOneStep.class,
                WorkflowOptions.newBuilder().setTaskQueue(WORKFLOWS).build())
            .run(task, "default");

    ProducedArtifact output = result.outputs().get("output");
    assertThat(output.uri()).startsWith("s3://" + BUCKET + "/team/artifacts/");
    // Read back on the other host, from the bucket: the worker's copy is not shared.
    assertThat(elsewhere.resolve(new ArtifactRef(output.id(), output.uri())).resolve("copy.bin"))
        .hasContent("weights from another host");
    // The step is over: its input is no longer held, so the cache can let it go at once.
    Path cachedInput = workerStore.cache().dir().resolve(input.id());
    assertThat(cachedInput).exists();
    workerStore.cache().evict(input.id());
    assertThat(cachedInput).doesNotExist();
    assertThat(workerStore.cache().ids()).containsOnly(output.id());
    FileTrees.deleteQuietly(produced);
  }

  private static KeyPair keyPair() {
    try {
      return KeyPairGenerator.getInstance(dev.trainyard.workflow.trust.TaskSignatures.ALGORITHM)
          .generateKeyPair();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
