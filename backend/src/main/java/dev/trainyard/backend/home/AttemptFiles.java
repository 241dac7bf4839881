package dev.trainyard.backend.home;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
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

  /** The trainer's resume states of the attempt, if it left any. */
  Optional<Path> resumeStates(String runId, String stepId, int attempt);

  /** Deletes the trainer's resume states of the attempt (nothing if there are none). */
  void deleteResumeStates(String runId, String stepId, int attempt) throws IOException;
}
