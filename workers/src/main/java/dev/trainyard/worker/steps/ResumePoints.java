package dev.trainyard.worker.steps;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Finds where a retried training attempt resumes: the newest complete intermediate checkpoint in
 * {@code attempt-<k>/checkpoints/} of any attempt of the same step of the same run up to this one.
 * Highest step wins; on a tie the later attempt.
 *
 * <ul>
 *   <li>The reference trainer writes {@code step-<N>/} holding {@value #STATE_FILE}, under a temp
 *       name renamed when done, so a dir with the state file is complete.
 *   <li>A team's own trainer (a {@code command} step) writes {@code checkpoint-<N>/} — the Hugging
 *       Face Trainer's naming — to {@code $TRAINYARD_CHECKPOINTS}; which are complete is the
 *       caller's test (the output layout), so a dir still being written is passed over.
 * </ul>
 */
public final class ResumePoints {
  public static final String CHECKPOINTS = "checkpoints";
  public static final String STATE_FILE = "trainer_state.pt";

  /** The reference trainer's intermediate checkpoints: {@code step-<N>}. */
  static final String TRAINER_PREFIX = "step-";

  /** A command's intermediate checkpoints, as the Hugging Face Trainer names them. */
  public static final String COMMAND_PREFIX = "checkpoint-";

  /** A resume point and the step it was written at. */
  public record Point(Path dir, long step) {}

  /**
   * How a kind names its intermediate checkpoints in an attempt's {@value #CHECKPOINTS}/ and when
   * one is complete.
   */
  public record Layout(String prefix, Predicate<Path> complete) {
    /** The reference trainer's {@code step-<N>/}, complete once it holds {@value #STATE_FILE}. */
    public static final Layout TRAINER =
        new Layout(TRAINER_PREFIX, state -> Files.isRegularFile(state.resolve(STATE_FILE)));

    /** A command's {@code checkpoint-<N>/}, complete by the caller's test (the output layout). */
    public static Layout command(Predicate<Path> complete) {
      return new Layout(COMMAND_PREFIX, complete);
    }
  }

  private ResumePoints() {}

  public static Optional<Path> newest(Path root, String runId, String stepId, int attempt)
      throws IOException {
    return newestPoint(root, runId, stepId, attempt, Layout.TRAINER).map(Point::dir);
  }

  /** The newest complete state in one attempt's {@code checkpoints/} dir. */
  static Optional<Point> newestIn(Path checkpointsDir, Layout layout) throws IOException {
    return newest(List.of(checkpointsDir), layout);
  }

  /**
   * The newest complete state of attempts 1 to {@code attempt}, with the step it was written at.
   */
  static Optional<Point> newestPoint(
      Path root, String runId, String stepId, int attempt, Layout layout) throws IOException {
    List<Path> dirs = new ArrayList<>();
    for (int a = 1; a <= attempt; a++) {
      dirs.add(StepFiles.workDir(root, runId, stepId, a).resolve(CHECKPOINTS));
    }
    return newest(dirs, layout);
  }

  /**
   * The newest complete {@code checkpoint-<N>/} a command step wrote in this attempt or an earlier
   * one; {@code workDir} is this attempt's ({@code .../<step>/attempt-<attempt>}).
   */
  public static Optional<Point> newestCommandCheckpoint(
      Path workDir, int attempt, Predicate<Path> complete) throws IOException {
    List<Path> dirs = new ArrayList<>();
    for (int a = 1; a <= attempt; a++) {
      dirs.add(workDir.resolveSibling("attempt-" + a).resolve(CHECKPOINTS));
    }
    return newest(dirs, Layout.command(complete));
  }

  private static Optional<Point> newest(List<Path> checkpointDirs, Layout layout)
      throws IOException {
    String prefix = layout.prefix();
    Point best = null;
    for (Path dir : checkpointDirs) {
      // Not through a link: an earlier attempt's process could have planted one.
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try (DirectoryStream<Path> states = Files.newDirectoryStream(dir, prefix + "*")) {
        for (Path state : states) {
          String digits = state.getFileName().toString().substring(prefix.length());
          if (!digits.matches("[0-9]{1,18}") || !layout.complete().test(state)) {
            continue;
          }
          long step = Long.parseLong(digits);
          if (best == null || step >= best.step()) {
            best = new Point(state, step);
          }
        }
      }
    }
    return Optional.ofNullable(best);
  }
}
