package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.plan.Defaults;
import dev.trainyard.worker.gpu.GpuAllocator;
import dev.trainyard.worker.runtime.PythonRuntime;
import dev.trainyard.worker.runtime.RuntimeCheck;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ManifestEntry;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import io.temporal.activity.ActivityOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The route-stats kind through the worker, for real: a tiny Mixtral trained by the packaged trainer
 * is profiled over a dataset, and the routing-profile artifact holds profile.json.
 */
class RouteStatsStepTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path root;
  private TestActivityEnvironment env;
  private LocalArtifactStore store;
  private StepActivities steps;

  @BeforeEach
  void setUp() {
    store = new LocalArtifactStore(root);
    env = TestActivityEnvironment.newInstance();
    PythonRuntime python = PythonRuntime.fromEnvironment(root);
    RuntimeCheck check = python.check();
    assertThat(check.ok()).as("trainer runtime: %s", check.summary()).isTrue();
    env.registerActivitiesImplementations(
        new StepActivitiesImpl(
            root,
            store,
            new GpuAllocator(List.of()),
            Duration.ofSeconds(5),
            Duration.ofMillis(200),
            "test-host/1",
            StepKindRegistry.standard(python)));
    steps =
        env.newActivityStub(
            StepActivities.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofMinutes(3))
                .setHeartbeatTimeout(Duration.ofSeconds(5))
                .build());
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private ArtifactRef corpus() throws Exception {
    Path dir = Files.createDirectories(root.resolve("incoming/corpus"));
    Files.writeString(
        dir.resolve("train.txt"), "12+35=47\nthe cat sees a red ball.\n\n".repeat(100));
    ProducedArtifact stored = store.put(dir, "dataset");
    return new ArtifactRef(stored.id(), stored.uri());
  }

  /** A two-step pretrain of a tiny model of the given architecture (over the tiny preset). */
  private ArtifactRef pretrained(ArtifactRef corpus, Map<String, Object> architecture) {
    Map<String, Object> model = new LinkedHashMap<>(architecture);
    model.putAll(
        Map.of(
            "preset",
            "tiny",
            "hidden_size",
            32,
            "intermediate_size",
            64,
            "num_hidden_layers",
            2,
            "num_attention_heads",
            2,
            "num_key_value_heads",
            1));
    StepTask task =
        new StepTask(
            "run-1",
            "pre",
            "pretrain",
            1,
            Defaults.resolve(
                StepKinds.PRETRAIN,
                Map.of(
                    "model",
                    model,
                    "data",
                    "${{ inputs.params.corpus }}",
                    "config",
                    Map.of("max_steps", 2, "batch_size", 2, "seq_len", 16))),
            Map.of("params.corpus", corpus),
            0,
            170);
    ProducedArtifact trained = steps.execute(task).outputs().get("model");
    return new ArtifactRef(trained.id(), trained.uri());
  }

  private static StepTask routeStats(ArtifactRef model, ArtifactRef corpus) {
    return new StepTask(
        "run-1",
        "profile",
        "route-stats",
        1,
        Defaults.resolve(
            StepKinds.ROUTE_STATS,
            Map.of(
                "model",
                "${{ inputs.pre.model }}",
                "data",
                "${{ inputs.params.corpus }}",
                "config",
                Map.of("seq_len", 32, "max_sequences", 8))),
        Map.of("pre.model", model, "params.corpus", corpus),
        0,
        170);
  }

  @Test
  void aRouteStatsStepStoresTheRoutingProfileOfAMixtralOverADataset() throws Exception {
    ArtifactRef corpus = corpus();
    ArtifactRef moe =
        pretrained(
            corpus,
            Map.of("model_type", "mixtral", "num_local_experts", 4, "num_experts_per_tok", 2));

    StepResult result = steps.execute(routeStats(moe, corpus));

    ProducedArtifact profile = result.outputs().get("profile");
    assertThat(profile.type()).isEqualTo("routing-profile");
    assertThat(profile.files()).extracting(ManifestEntry::path).containsExactly("profile.json");
    JsonNode stored =
        JSON.readTree(
            store
                .resolve(new ArtifactRef(profile.id(), profile.uri()))
                .resolve("profile.json")
                .toFile());
    assertThat(stored.path("format").asText()).isEqualTo("trainyard.routing-profile/v1");
    assertThat(stored.at("/model/layer_experts").toString()).isEqualTo("[4,4]");
    assertThat(stored.at("/model/router_fingerprint").asText()).matches("[0-9a-f]{64}");
    assertThat(stored.at("/dataset/sequences").asInt()).isEqualTo(8);
    assertThat(stored.at("/dataset/tokens").asInt()).isEqualTo(8 * 32);
    assertThat(stored.path("layers")).hasSize(2);
    for (JsonNode layer : stored.path("layers")) {
      double frequencies = 0;
      for (JsonNode f : layer.path("frequency")) {
        frequencies += f.asDouble();
      }
      // Every token reaches its top-2 experts.
      assertThat(frequencies).isCloseTo(2.0, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(layer.path("coactivation")).hasSize(4);
      assertThat(layer.path("router_logit_similarity").get(0)).hasSize(4);
    }
    assertThat(result.metrics()).containsEntry("route/tokens", 256.0);
  }

  @Test
  void aDenseCheckpointIsRefusedAtModelAndNeverRetried() throws Exception {
    ArtifactRef corpus = corpus();
    ArtifactRef dense = pretrained(corpus, Map.of());

    assertThatThrownBy(() -> steps.execute(routeStats(dense, corpus)))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("InvalidStep");
              assertThat(failure.isNonRetryable()).isTrue();
              assertThat(failure.getOriginalMessage())
                  .contains("model: ")
                  .contains("is a dense llama checkpoint; route-stats profiles the experts");
            });
  }
}
