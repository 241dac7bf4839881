package dev.trainyard.worker.steps;

import dev.trainyard.worker.gpu.GpuAllocator;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.workflow.StepActivities;
import io.temporal.activity.ActivityOptions;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The real step activities on a local store under {@code root}, called through Temporal's activity
 * test environment (heartbeats and cancellation as a worker sees them): what the step tests share.
 */
record RealStepActivities(
    TestActivityEnvironment env, LocalArtifactStore store, StepActivities steps)
    implements AutoCloseable {

  static RealStepActivities start(Path root, List<Integer> gpus) {
    LocalArtifactStore store = new LocalArtifactStore(root);
    TestActivityEnvironment env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(
        new StepActivitiesImpl(
            root,
            store,
            new GpuAllocator(gpus),
            Duration.ofSeconds(5),
            Duration.ofMillis(200),
            "test-host/1"));
    StepActivities steps =
        env.newActivityStub(
            StepActivities.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofMinutes(2))
                .setHeartbeatTimeout(Duration.ofSeconds(1))
                .build());
    return new RealStepActivities(env, store, steps);
  }

  @Override
  public void close() {
    env.close();
  }
}
