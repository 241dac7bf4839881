package dev.trainyard.worker.store;

import java.io.IOException;

/**
 * The files offered for storage cannot form an artifact (a symbolic link, a name with a line break,
 * no such directory). The producer's fault, unlike an I/O error: storing again will not help.
 */
public class InvalidArtifactException extends IOException {
  public InvalidArtifactException(String message) {
    super(message);
  }
}
