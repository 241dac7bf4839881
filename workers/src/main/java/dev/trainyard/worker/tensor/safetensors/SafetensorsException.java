package dev.trainyard.worker.tensor.safetensors;

import java.nio.file.Path;

/**
 * A safetensors file or checkpoint directory that cannot be read as such; the message names file
 * and tensor.
 */
public class SafetensorsException extends RuntimeException {
  public SafetensorsException(Path file, String message) {
    super(file + ": " + message);
  }

  public SafetensorsException(Path file, String message, Throwable cause) {
    super(file + ": " + message, cause);
  }
}
