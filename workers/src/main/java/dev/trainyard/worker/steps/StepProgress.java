package dev.trainyard.worker.steps;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The details a step attempt's heartbeats carry: its phase, elapsed time, and own progress. */
final class StepProgress {
  private static final Logger LOG = Logger.getLogger(StepProgress.class.getName());

  private StepProgress() {}

  static Map<String, Object> of(String phase, Duration elapsed) {
    return Map.of("phase", phase, "elapsedSeconds", elapsed.toSeconds());
  }

  /**
   * Progress with the step's own view of it (step/total, ETA) from the last line of metrics.jsonl.
   */
  static Map<String, Object> of(String phase, Duration elapsed, Path metrics) {
    Map<String, Object> progress = new LinkedHashMap<>(of(phase, elapsed));
    try {
      progress.putAll(MetricsFile.progress(metrics));
    } catch (IOException | RuntimeException unreadable) {
      LOG.log(Level.FINE, "metrics unreadable for progress", unreadable);
    }
    return progress;
  }
}
