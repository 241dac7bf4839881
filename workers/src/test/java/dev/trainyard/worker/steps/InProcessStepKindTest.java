package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.pipeline.kind.Execution;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.worker.gpu.GpuAllocator;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.workflow.ArtifactRef;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hook merge and prune will use: a kind registered as Java code run inside the worker. */
class InProcessStepKindTest {
  @TempDir Path root;
  private TestActivityEnvironment env;
  private LocalArtifactStore store;
  private StepActivities steps;

  /** Copies its input's files, upper-cased, and logs one metric: a stand-in for a tensor merge. */
  private static final InProcessStepKind SHOUT =
      new InProcessStepKind() {
        @Override
        public void run(StepTask task, StepContext step) throws java.io.IOException {
          Object from = step.resolvedBody().get("from");
          if (!(from instanceof String path)) {
            throw new IllegalArgumentException("'from' must name an input");
          }
          String text = Files.readString(Path.of(path).resolve("in.txt"));
          Files.writeString(step.output().resolve("out.txt"), text.toUpperCase());
          Files.writeString(step.metrics(), "{\"step\":1,\"chars\":" + text.length() + "}\n");
        }

        @Override
        public StepKind kind() {
          return StepKind.builder("shout", Execution.WORKER_JAVA)
              .output("model", ArtifactType.CHECKPOINT)
              .build();
        }
      };

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
            StepKindRegistry.commandOnly().register(SHOUT)));
    steps =
        env.newActivityStub(
            StepActivities.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofMinutes(1))
                .setHeartbeatTimeout(Duration.ofSeconds(2))
                .build());
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  @Test
  void anInProcessKindGetsTheStepContractAndItsOutputIsStored() throws Exception {
    Path in = Files.createDirectories(root.resolve("incoming/in"));
    Files.writeString(in.resolve("in.txt"), "hello");
    ProducedArtifact input = store.put(in, "files");

    StepResult result =
        steps.execute(
            new StepTask(
                "run-1",
                "shout",
                "shout",
                1,
                Map.of("from", "${{ inputs.params.in }}"),
                Map.of("params.in", new ArtifactRef(input.id(), input.uri())),
                0,
                60));

    ProducedArtifact model = result.outputs().get("model");
    assertThat(model.type()).isEqualTo("checkpoint");
    assertThat(store.resolve(new ArtifactRef(model.id(), model.uri())).resolve("out.txt"))
        .hasContent("HELLO");
    assertThat(result.metrics()).containsEntry("chars", 5.0);
  }

  @Test
  void anInProcessKindRejectingItsBodyFailsAsInvalidStep() {
    assertThatThrownBy(
            () ->
                steps.execute(
                    new StepTask("run-1", "shout", "shout", 1, Map.of(), Map.of(), 0, 60)))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("InvalidStep");
              assertThat(failure.getOriginalMessage())
                  .isEqualTo("step 'shout': 'from' must name an input");
            });
  }
}
