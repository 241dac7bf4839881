package dev.trainyard.worker.steps;

import java.nio.file.Path;
import java.util.Map;

/** What a step kind sees of its attempt's work dir (the step contract). */
public interface StepContext {
  /** The attempt's work dir. */
  Path dir();

  /** Where the kind writes its output; stored as one artifact when the attempt succeeds. */
  Path output();

  /** {@code metrics.jsonl}: one JSON object per line. */
  Path metrics();

  /** {@code step.log}: the step's combined stdout and stderr. */
  Path log();

  /** {@code step.json}. */
  Path stepJson();

  /** Input links ({@code inputs/<name>}) by binding name. */
  Map<String, Path> inputs();

  /** The step body with {@code ${{ inputs.NAME }}} tokens replaced by input paths. */
  Map<String, Object> resolvedBody();

  /**
   * What a process started by an in-process kind runs inside (e.g. the tokenize kind's chat
   * renderer): the worker's step sandbox.
   */
  default dev.trainyard.worker.launch.StepSandbox sandbox() {
    return dev.trainyard.worker.launch.StepSandbox.NONE;
  }
}
