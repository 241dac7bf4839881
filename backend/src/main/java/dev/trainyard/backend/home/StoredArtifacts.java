package dev.trainyard.backend.home;

import java.io.IOException;

/** The artifact store of the home, as retention needs it. */
public interface StoredArtifacts {
  /** Whether the store holds the artifact's files. */
  boolean contains(String id);

  /** Deletes the artifact's files; false if the store did not hold them. */
  boolean delete(String id) throws IOException;

  /** Where the files are, for messages. */
  String location();
}
