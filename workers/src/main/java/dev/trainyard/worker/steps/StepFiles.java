package dev.trainyard.worker.steps;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where a step attempt's files are: {@code <root>/work/<runId>/<stepId>/attempt-<n>/}. The backend
 * in local mode reads {@link #logFile} and {@link #metricsFile} from here while the step runs.
 */
public final class StepFiles {
  public static final String INPUTS = "inputs";
  public static final String OUTPUT = "output";
  public static final String STEP_JSON = "step.json";
  public static final String METRICS = "metrics.jsonl";
  public static final String LOG = "step.log";

  // Ids become directory names: nothing that could climb out of the work tree or hide a file.
  private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");

  private StepFiles() {}

  public static Path workDir(Path root, String runId, String stepId, int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt numbers start at 1, got " + attempt);
    }
    return root.resolve("work")
        .resolve(safeName("run id", runId))
        .resolve(safeName("step id", stepId))
        .resolve("attempt-" + attempt);
  }

  public static Path logFile(Path workDir) {
    return workDir.resolve(LOG);
  }

  public static Path metricsFile(Path workDir) {
    return workDir.resolve(METRICS);
  }

  public static Path stepJson(Path workDir) {
    return workDir.resolve(STEP_JSON);
  }

  public static Path outputDir(Path workDir) {
    return workDir.resolve(OUTPUT);
  }

  public static Path inputsDir(Path workDir) {
    return workDir.resolve(INPUTS);
  }

  /** The link for an input binding, e.g. {@code inputs/params.base} or {@code inputs/cpt.model}. */
  public static Path input(Path workDir, String inputName) {
    return inputsDir(workDir).resolve(safeName("input name", inputName));
  }

  /**
   * Opens a file the step process may have tampered with ({@code step.log}, {@code metrics.jsonl})
   * for reading, refusing to be redirected: the file must be a regular file, not a link, FIFO or
   * device, and its directory must still be where it was made ({@code file}'s parent must be a real
   * path, as {@link #workDir} under a real root gives). A step that replaces its log by a link to
   * {@code /etc/passwd} gets {@link NotInWorkDirException}, never the other file's bytes. The
   * checks bracket the open; a step swapping files back and forth in between is not ruled out, but
   * a link is.
   */
  public static SeekableByteChannel openRegular(Path file) throws IOException {
    Path dir = file.getParent();
    if (!dir.toRealPath().equals(dir)) {
      throw new NotInWorkDirException(file, "its directory was replaced by a link");
    }
    BasicFileAttributes before =
        Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!before.isRegularFile()) {
      throw new NotInWorkDirException(
          file, before.isSymbolicLink() ? "it is a symbolic link" : "it is not a regular file");
    }
    SeekableByteChannel channel =
        Files.newByteChannel(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
    BasicFileAttributes after =
        Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!Objects.equals(before.fileKey(), after.fileKey())) {
      channel.close();
      throw new NotInWorkDirException(file, "it was replaced while being opened");
    }
    return channel;
  }

  /** A work-dir file that is not a regular file in its own directory: treated as unreadable. */
  public static final class NotInWorkDirException extends FileSystemException {
    NotInWorkDirException(Path file, String why) {
      super(file.toString(), null, "not read: " + why);
    }
  }

  static String safeName(String what, String value) {
    if (value == null || !SAFE_NAME.matcher(value).matches() || value.contains("..")) {
      throw new IllegalArgumentException(what + " cannot be used as a file name: '" + value + "'");
    }
    return value;
  }
}
