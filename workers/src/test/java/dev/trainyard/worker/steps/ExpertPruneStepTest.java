package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.plan.Defaults;
import dev.trainyard.worker.gpu.GpuAllocator;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.worker.tensor.TestCheckpoints;
import dev.trainyard.worker.tensor.moe.MoeCheckpoints;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import io.temporal.activity.ActivityOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prune step with method experts run by the worker as the planner sends it: a stored Mixtral and
 * a stored routing profile in, a smaller Mixtral out.
 */
class ExpertPruneStepTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path root;
  private TestActivityEnvironment env;
  private LocalArtifactStore store;
  private StepActivities steps;
  private ProducedArtifact model;
  private Map<String, float[]> stored;

  @BeforeEach
  void setUp() throws Exception {
    store = new LocalArtifactStore(root);
    env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(
        new StepActivitiesImpl(
            root,
            store,
            new GpuAllocator(List.of()),
            Duration.ofSeconds(5),
            Duration.ofMillis(200),
            "test-host/1",
            StepKindRegistry.commandOnly().register(new TensorStepKind(StepKinds.PRUNE))));
    steps =
        env.newActivityStub(
            StepActivities.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofMinutes(1))
                .setHeartbeatTimeout(Duration.ofSeconds(5))
                .build());
    Path dir =
        MoeCheckpoints.write(
            root.resolve("incoming/moe"),
            MoeCheckpoints.mixtral(2, 4, 1),
            MoeCheckpoints.config(2, 4, 2),
            DType.F32);
    stored = TestCheckpoints.read(dir);
    model = store.put(dir, "checkpoint");
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private StepTask task(ProducedArtifact profile) {
    return new StepTask(
        "run-1",
        "prune",
        "prune",
        1,
        Defaults.resolve(
            StepKinds.PRUNE,
            Map.of(
                "model", "${{ inputs.params.moe }}",
                "method", "experts",
                "profile", "${{ inputs.steps.stats.profile }}",
                "config", Map.of("experts", 2))),
        Map.of(
            "params.moe",
            new ArtifactRef(model.id(), model.uri()),
            "steps.stats.profile",
            new ArtifactRef(profile.id(), profile.uri())),
        0,
        60);
  }

  private ProducedArtifact profile(String name, String fingerprint) throws Exception {
    double[][] frequency = {{0.1, 0.9, 0.3, 0.7}, {0.8, 0.2, 0.6, 0.4}};
    return store.put(
        MoeCheckpoints.profile(
            root.resolve("incoming/" + name), fingerprint, 4, frequency, null, null),
        "routing-profile");
  }

  @Test
  void aStoredMixtralIsPrunedByItsStoredRoutingProfile() throws Exception {
    StepResult result =
        steps.execute(task(profile("profile", MoeCheckpoints.fingerprint(stored, 2))));

    ProducedArtifact out = result.outputs().get("model");
    assertThat(out.type()).isEqualTo("checkpoint");
    Path dir = store.resolve(new ArtifactRef(out.id(), out.uri()));
    assertThat(JSON.readTree(dir.resolve("config.json").toFile()).get("num_local_experts").asInt())
        .isEqualTo(2);
    Map<String, float[]> pruned = TestCheckpoints.read(dir);
    String layer0 = "model.layers.0.block_sparse_moe.experts.";
    assertThat(pruned.get(layer0 + "0.w1.weight")).isEqualTo(stored.get(layer0 + "1.w1.weight"));
    assertThat(pruned.get(layer0 + "1.w1.weight")).isEqualTo(stored.get(layer0 + "3.w1.weight"));
    assertThat(pruned).doesNotContainKey(layer0 + "2.w1.weight");
  }

  @Test
  void aProfileOfAnotherModelFailsTheStepAsInvalidInputWithoutRetry() throws Exception {
    ProducedArtifact other = profile("other", "00".repeat(32));
    assertThatThrownBy(() -> steps.execute(task(other)))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("InvalidInput");
              assertThat(failure.isNonRetryable()).isTrue();
              assertThat(failure.getOriginalMessage()).contains("a profile from another model");
            });
  }
}
