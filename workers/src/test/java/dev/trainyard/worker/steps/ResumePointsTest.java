package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.pipeline.kind.ArtifactType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which intermediate checkpoint a retried command attempt resumes from. */
class ResumePointsTest {
  @TempDir Path root;

  private static final Predicate<Path> CHECKPOINT =
      dir -> OutputLayout.isComplete(ArtifactType.CHECKPOINT, dir);

  private Path checkpoint(int attempt, String name, boolean complete) throws Exception {
    Path dir =
        Files.createDirectories(
            StepFiles.workDir(root, "run-1", "train", attempt)
                .resolve("checkpoints")
                .resolve(name));
    Files.writeString(dir.resolve("config.json"), "{}");
    if (complete) {
      // An empty header is a valid safetensors file (no tensors).
      byte[] bytes = {2, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
      Files.write(dir.resolve("model.safetensors"), bytes);
    }
    return dir;
  }

  private Path workDir(int attempt) {
    return StepFiles.workDir(root, "run-1", "train", attempt);
  }

  @Test
  void theHighestCompleteStepOfAnyEarlierAttemptWinsAndOneBeingWrittenIsPassedOver()
      throws Exception {
    checkpoint(1, "checkpoint-10", true);
    Path best = checkpoint(2, "checkpoint-20", true);
    checkpoint(2, "checkpoint-30", false); // killed while saving
    checkpoint(2, "tmp-checkpoint-40", true); // not renamed yet
    checkpoint(2, "checkpoint-latest", true);

    var point = ResumePoints.newestCommandCheckpoint(workDir(3), 3, CHECKPOINT).orElseThrow();

    assertThat(point.dir()).isEqualTo(best);
    assertThat(point.step()).isEqualTo(20);
  }

  @Test
  void onATieTheLaterAttemptWinsAndLaterAttemptsAreNotLookedAt() throws Exception {
    checkpoint(1, "checkpoint-5", true);
    Path later = checkpoint(2, "checkpoint-5", true);
    checkpoint(3, "checkpoint-9", true);

    assertThat(ResumePoints.newestCommandCheckpoint(workDir(2), 2, CHECKPOINT).orElseThrow().dir())
        .isEqualTo(later);
  }

  @Test
  void aFirstAttemptWithNothingWrittenHasNoResumePoint() throws Exception {
    assertThat(ResumePoints.newestCommandCheckpoint(workDir(1), 1, CHECKPOINT)).isEmpty();
  }

  @Test
  void aCheckpointsDirReplacedByALinkIsNotFollowed() throws Exception {
    Path elsewhere = checkpoint(9, "checkpoint-50", true).getParent();
    Path attempt = Files.createDirectories(workDir(1));
    Files.createSymbolicLink(attempt.resolve("checkpoints"), elsewhere);

    assertThat(ResumePoints.newestCommandCheckpoint(workDir(2), 2, CHECKPOINT)).isEmpty();
  }
}
