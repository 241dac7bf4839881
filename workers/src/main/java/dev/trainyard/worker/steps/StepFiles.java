package dev.trainyard.worker.steps;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where a step attempt's files are: {@code <root>/work/<runId>/<stepId>/attempt-<n>/}. The backend in
 * local mode reads {@link #logFile} and {@link #metricsFile} from here while the step runs.
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

  static String safeName(String what, String value) {
    if (value == null || !SAFE_NAME.matcher(value).matches() || value.contains("..")) {
      throw new IllegalArgumentException(what + " cannot be used as a file name: '" + value + "'");
    }
    return value;
  }
}
