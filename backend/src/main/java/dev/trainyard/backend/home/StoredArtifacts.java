package dev.trainyard.backend.home;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;

/** The artifact store of the home, as retention, downloads and launch checks need it. */
public interface StoredArtifacts {
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
