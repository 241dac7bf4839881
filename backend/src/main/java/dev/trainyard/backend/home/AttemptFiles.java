package dev.trainyard.backend.home;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.util.Optional;

/**
 * A step attempt's live files in the home's work tree. Ids that cannot be directory names get
 * {@link IllegalArgumentException}.
 */
public interface AttemptFiles {
  /** The attempt's log, opened only if it is a regular file in the attempt's own dir. */
  SeekableByteChannel openLog(String runId, String stepId, int attempt) throws IOException;

  /** The attempt's metrics file, opened like {@link #openLog}. */
  SeekableByteChannel openMetrics(String runId, String stepId, int attempt) throws IOException;

  /**
   * The trainer's resume states of the attempt, if it left any: in the home's work dir (the
   * in-process worker's) and in the artifact store (any worker's, see the worker's ResumeStates).
   */
  Optional<Held> resumeStates(String runId, String stepId, int attempt) throws IOException;

  /**
   * Where an attempt's resume states are: {@code path} is the work dir's, relative to the home, or
   * the store's name prefix ({@code store:resume/<run>/<step>/attempt-<k>/}); their total size.
   */
  record Held(String path, long sizeBytes) {}

  /** Deletes the trainer's resume states of the attempt, here and in the store. */
  void deleteResumeStates(String runId, String stepId, int attempt) throws IOException;
}
