package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.workflow.ManifestEntry;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bring your own trainer: a plain PyTorch script ({@code byot/train_tiny.py}, not the reference
 * trainer) run as a {@code command} step whose output is a checkpoint, by the real step activity
 * with real processes and a real store.
 */
class CommandCheckpointOutputTest {
  static final Path SCRIPT = Path.of("src/test/resources/byot/train_tiny.py").toAbsolutePath();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path root;
  private RealStepActivities activities;
  private StepActivities steps;

  @BeforeEach
  void setUp() throws Exception {
    Process torch = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").start();
    assertThat(torch.waitFor()).as("Debian's python3-torch is installed").isZero();
    activities = RealStepActivities.start(root, List.of());
    steps = activities.steps();
  }

  @AfterEach
  void tearDown() {
    if (activities != null) {
      activities.close();
    }
  }

  private static StepTask trainer(String stepId, int attempt, String args) {
    return new StepTask(
        "run-1",
        stepId,
        "command",
        attempt,
        Map.of("run", "exec /usr/bin/python3 " + SCRIPT + " " + args, "output_type", "checkpoint"),
        Map.of(),
        0,
        120);
  }

  @Test
  void aCrashedTrainerIsResumedFromItsNewestCompleteCheckpointAndEndsAsAnUninterruptedRun()
      throws Exception {
    assertThatThrownBy(() -> steps.execute(trainer("train", 1, "--steps 4 --crash-after 2")))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("StepFailed");
              assertThat(failure.isNonRetryable()).isFalse();
            });
    Path first = StepFiles.workDir(root, "run-1", "train", 1).resolve("checkpoints");
    // The crash left checkpoint-3 half-written (config.json, no weights): not a resume point.
    assertThat(first.resolve("checkpoint-3/config.json")).exists();
    assertThat(first.resolve("checkpoint-3/model.safetensors")).doesNotExist();

    StepResult retried = steps.execute(trainer("train", 2, "--steps 4 --crash-after 2"));

    Path resumedFrom = first.resolve("checkpoint-2");
    Path second = StepFiles.workDir(root, "run-1", "train", 2);
    JsonNode stepJson = JSON.readTree(StepFiles.stepJson(second).toFile());
    assertThat(stepJson.path("resume").asText()).isEqualTo(resumedFrom.toString());
    assertThat(retried.metrics()).containsEntry("resumed_from_step", 2.0).containsKey("loss");
    assertThat(retried.logTail())
        .contains("trainyard: resumed from " + resumedFrom + " at step 2")
        .contains("train_tiny: resumed from " + resumedFrom + " at step 2");
    ProducedArtifact model = retried.outputs().get("output");
    assertThat(model.type()).isEqualTo("checkpoint");
    assertThat(model.files())
        .extracting(ManifestEntry::path)
        .containsExactly("config.json", "model.safetensors");

    // Full-batch SGD is deterministic: resuming lost nothing, the weights are bit for bit those of
    // a run that never crashed, so the checkpoints share their content id.
    ProducedArtifact straight =
        steps.execute(trainer("straight", 1, "--steps 4")).outputs().get("output");
    assertThat(model.id()).isEqualTo(straight.id());
    assertThat(StepFiles.stepJson(StepFiles.workDir(root, "run-1", "straight", 1)))
        .content()
        .contains("\"resume\" : null");
  }

  @Test
  void aTrainerThatWritesOnlyConfigJsonFailsAsInvalidOutputNamingTheWeightsAndStoresNothing()
      throws Exception {
    assertThatThrownBy(() -> steps.execute(trainer("half", 1, "--only-config")))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("InvalidOutput");
              assertThat(failure.isNonRetryable()).isTrue();
              assertThat(failure.getOriginalMessage())
                  .contains("step 'half' declares its output a checkpoint")
                  .contains("model.safetensors: missing")
                  .doesNotContain("config.json")
                  .endsWith("nothing was stored");
            });
    try (Stream<Path> stored = Files.list(activities.store().root().resolve("artifacts"))) {
      assertThat(stored).isEmpty();
    }
    assertThat(StepFiles.workDir(root, "run-1", "half", 1).resolve("output/config.json"))
        .as("left in the attempt's output dir to inspect")
        .exists();
  }

  @Test
  void aTruncatedWeightsFileAndAPytorchBinAreRefusedWithTheReason() {
    String truncate =
        "/usr/bin/python3 "
            + SCRIPT
            + " --steps 1 && truncate -s -4 \"$TRAINYARD_OUTPUT/model.safetensors\"";
    assertThatThrownBy(
            () ->
                steps.execute(
                    new StepTask(
                        "run-1",
                        "cut",
                        "command",
                        1,
                        Map.of("run", truncate, "output_type", "checkpoint"),
                        Map.of(),
                        0,
                        120)))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure ->
                assertThat(failure.getOriginalMessage())
                    .contains("model.safetensors: tensor '")
                    .contains("out of range")
                    .contains("(truncated file?)"));
    String bin =
        "echo '{}' > $TRAINYARD_OUTPUT/config.json; echo x > $TRAINYARD_OUTPUT/pytorch_model.bin";
    assertThatThrownBy(
            () ->
                steps.execute(
                    new StepTask(
                        "run-1",
                        "bin",
                        "command",
                        1,
                        Map.of("run", bin, "output_type", "checkpoint"),
                        Map.of(),
                        0,
                        120)))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("InvalidOutput");
              assertThat(failure.getOriginalMessage())
                  .contains(
                      "model.safetensors: missing; found pytorch_model.bin, but checkpoints must be safetensors");
            });
  }

  @Test
  void aFilesOutputIsNotCheckedAndGetsNoResumePoint() throws Exception {
    StepTask task =
        new StepTask(
            "run-1",
            "plain",
            "command",
            2,
            Map.of(
                "run",
                "echo \"[$TRAINYARD_RESUME_FROM]\" > $TRAINYARD_OUTPUT/config.json; "
                    + "test \"$TRAINYARD_CHECKPOINTS\" = \"$TRAINYARD_WORKDIR/checkpoints\""),
            Map.of(),
            0,
            60);
    Path earlier =
        Files.createDirectories(
            StepFiles.workDir(root, "run-1", "plain", 1).resolve("checkpoints/checkpoint-5"));
    Files.writeString(earlier.resolve("config.json"), "{}");

    StepResult result = steps.execute(task);

    ProducedArtifact output = result.outputs().get("output");
    assertThat(output.type()).isEqualTo("files");
    assertThat(
            activities
                .store()
                .resolve(new dev.trainyard.workflow.ArtifactRef(output.id(), output.uri()))
                .resolve("config.json"))
        .hasContent("[]");
    assertThat(result.metrics()).doesNotContainKey("resumed_from_step");
  }

  /** An empty safetensors file: 8-byte header length, then the header {@code {}} padded to 8. */
  private static final String EMPTY_SAFETENSORS = "printf '\\10\\0\\0\\0\\0\\0\\0\\0{}      '";

  @Test
  void anAdapterStepIsStoredAsAnAdapterAndResumesOnlyFromACheckpointInPeftsLayout()
      throws Exception {
    String run =
        String.join(
            "\n",
            "if [ \"$TRAINYARD_ATTEMPT\" = 1 ]; then",
            "  a=\"$TRAINYARD_CHECKPOINTS/checkpoint-7\"; b=\"$TRAINYARD_CHECKPOINTS/checkpoint-9\"",
            "  mkdir -p \"$a\" \"$b\"",
            "  echo '{\"peft_type\": \"LORA\"}' > \"$a/adapter_config.json\"",
            "  " + EMPTY_SAFETENSORS + " > \"$a/adapter_model.safetensors\"",
            // A full checkpoint is not an adapter: not a resume point of an adapter step.
            "  echo '{}' > \"$b/config.json\"; "
                + EMPTY_SAFETENSORS
                + " > \"$b/model.safetensors\"",
            "  exit 1",
            "fi",
            "echo \"$TRAINYARD_RESUME_FROM\" > \"$TRAINYARD_OUTPUT/resumed-from.txt\"",
            "echo '{\"peft_type\": \"LORA\"}' > \"$TRAINYARD_OUTPUT/adapter_config.json\"",
            EMPTY_SAFETENSORS + " > \"$TRAINYARD_OUTPUT/adapter_model.safetensors\"");
    Map<String, Object> body = Map.of("run", run, "output_type", "adapter");
    assertThatThrownBy(
            () -> steps.execute(new StepTask("run-1", "lora", "command", 1, body, Map.of(), 0, 60)))
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class, f -> assertThat(f.getType()).isEqualTo("StepFailed"));

    StepResult retried =
        steps.execute(new StepTask("run-1", "lora", "command", 2, body, Map.of(), 0, 60));

    ProducedArtifact adapter = retried.outputs().get("output");
    assertThat(adapter.type()).isEqualTo("adapter");
    assertThat(adapter.files())
        .extracting(ManifestEntry::path)
        .containsExactly("adapter_config.json", "adapter_model.safetensors", "resumed-from.txt");
    Path expected =
        StepFiles.workDir(root, "run-1", "lora", 1)
            .resolve("checkpoints/checkpoint-7")
            .toRealPath();
    assertThat(
            activities
                .store()
                .resolve(new dev.trainyard.workflow.ArtifactRef(adapter.id(), adapter.uri()))
                .resolve("resumed-from.txt"))
        .hasContent(expected.toString());
    assertThat(retried.metrics()).containsEntry("resumed_from_step", 7.0);
  }
}
