package dev.trainyard.worker.steps;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds where a retried training attempt resumes: the newest intermediate checkpoint ({@code
 * attempt-<k>/checkpoints/step-<N>/} holding {@value #STATE_FILE}) of any attempt of the same step
 * of the same run up to this one. The trainer writes each under a temp name and renames it, so a
 * dir with the state file is complete. Highest step wins; on a tie the later attempt.
 */
public final class ResumePoints {
  public static final String CHECKPOINTS = "checkpoints";
  public static final String STATE_FILE = "trainer_state.pt";

  private ResumePoints() {}

  public static Optional<Path> newest(Path root, String runId, String stepId, int attempt)
      throws IOException {
    Path best = null;
    long bestStep = -1;
    for (int a = 1; a <= attempt; a++) {
      Path dir = StepFiles.workDir(root, runId, stepId, a).resolve(CHECKPOINTS);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (DirectoryStream<Path> states = Files.newDirectoryStream(dir, "step-*")) {
        for (Path state : states) {
          String digits = state.getFileName().toString().substring("step-".length());
          if (!digits.matches("[0-9]{1,18}") || !Files.isRegularFile(state.resolve(STATE_FILE))) {
            continue;
          }
          long step = Long.parseLong(digits);
          if (step >= bestStep) {
            bestStep = step;
            best = state;
          }
        }
      }
    }
    return Optional.ofNullable(best);
  }
}
