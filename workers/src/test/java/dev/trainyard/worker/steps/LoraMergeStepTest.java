package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.plan.Defaults;
import dev.trainyard.worker.gpu.GpuAllocator;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.worker.tensor.TestCheckpoints;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.SafetensorsWriter;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import io.temporal.activity.ActivityOptions;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merge step with method lora run by the worker as the planner sends it: a stored checkpoint and
 * a stored adapter in, a checkpoint out.
 */
class LoraMergeStepTest {
  private static final String Q = "model.layers.0.self_attn.q_proj";

  @TempDir Path root;
  private TestActivityEnvironment env;
  private LocalArtifactStore store;
  private StepActivities steps;

  @BeforeEach
  void setUp() {
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
            StepKindRegistry.commandOnly().register(new TensorStepKind(StepKinds.MERGE))));
    steps =
        env.newActivityStub(
            StepActivities.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofMinutes(1))
                .setHeartbeatTimeout(Duration.ofSeconds(5))
                .build());
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  @Test
  void aStoredAdapterIsFoldedIntoAStoredBaseAndTheResultIsStoredAsACheckpoint() throws Exception {
    Map<String, float[]> weights = TestCheckpoints.random(1, 0.05);
    ProducedArtifact base =
        store.put(
            TestCheckpoints.write(root.resolve("incoming/base"), weights, DType.F32), "checkpoint");
    // Rank 1: A = [1 … 1] (1×16), B = [0.5 … 0.5]ᵀ (16×1), alpha 2, so each element gains 2·0.5.
    Path adapterDir = Files.createDirectories(root.resolve("incoming/adapter"));
    Files.writeString(
        adapterDir.resolve("adapter_config.json"),
        "{\"peft_type\": \"LORA\", \"r\": 1, \"lora_alpha\": 2, \"bias\": \"none\"}");
    var plan =
        List.of(
            new TensorSpec(
                "base_model.model." + Q + ".lora_A.weight", DType.F32, new long[] {1, 16}),
            new TensorSpec(
                "base_model.model." + Q + ".lora_B.weight", DType.F32, new long[] {16, 1}));
    try (var w =
        new SafetensorsWriter(adapterDir.resolve("adapter_model.safetensors"), plan, Map.of())) {
      float[] ones = new float[16];
      java.util.Arrays.fill(ones, 1f);
      float[] halves = new float[16];
      java.util.Arrays.fill(halves, 0.5f);
      w.writeFloats(plan.get(0).name(), ones);
      w.writeFloats(plan.get(1).name(), halves);
      w.finish();
    }
    ProducedArtifact adapter = store.put(adapterDir, "adapter");

    StepResult result =
        steps.execute(
            new StepTask(
                "run-1",
                "fold",
                "merge",
                1,
                Defaults.resolve(
                    StepKinds.MERGE,
                    Map.of(
                        "method",
                        "lora",
                        "base",
                        "${{ inputs.params.base }}",
                        "models",
                        List.of(Map.of("model", "${{ inputs.params.tuned }}")))),
                Map.of(
                    "params.base",
                    new ArtifactRef(base.id(), base.uri()),
                    "params.tuned",
                    new ArtifactRef(adapter.id(), adapter.uri())),
                0,
                60));

    ProducedArtifact model = result.outputs().get("model");
    assertThat(model.type()).isEqualTo("checkpoint");
    Map<String, float[]> merged =
        TestCheckpoints.read(store.resolve(new ArtifactRef(model.id(), model.uri())));
    float[] before = weights.get(Q + ".weight");
    float[] after = merged.get(Q + ".weight");
    for (int i = 0; i < before.length; i++) {
      assertThat(after[i]).isEqualTo(before[i] + 1.0f);
    }
    assertThat(merged.get("lm_head.weight")).isEqualTo(weights.get("lm_head.weight"));
  }
}
