package dev.trainyard.backend.home;

import dev.trainyard.workflow.ProducedArtifact;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;

/**
 * The artifact store of the home, as retention, dataset registration, downloads and launch checks
 * need it.
 */
public interface StoredArtifacts {
  /**
   * Stores the files under {@code dir} as one artifact, content-addressed as step outputs are, and
   * consumes the directory. All or nothing: a failure leaves no partial artifact.
   */
  ProducedArtifact put(Path dir, String type) throws IOException;

  /**
   * A directory on the store's own volume where files to {@link #put} are assembled, so that the
   * put moves them instead of copying; swept when the embedded worker starts.
   */
  Path stagingArea() throws IOException;

  /** Whether the store holds the artifact's files. */
  boolean contains(String id);

  /** Deletes the artifact's files; false if the store did not hold them. */
  boolean delete(String id) throws IOException;

  /** Where the files are, for messages. */
  String location();

  /**
   * Opens one file of a stored artifact for reading. {@code path} is a manifest path ({@code
   * /}-separated, relative); one that is absolute or climbs ({@code ..}) gets {@link
   * IllegalArgumentException}, and a file that is a link, or under a directory that is one, is
   * never followed (the store keeps only regular files, so a link there was planted).
   *
   * @throws java.nio.file.NoSuchFileException if the store does not hold the artifact or the file
   */
  SeekableByteChannel openFile(String id, String path) throws IOException;
}
