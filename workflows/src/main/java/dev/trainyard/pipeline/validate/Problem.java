package dev.trainyard.pipeline.validate;

/**
 * One thing wrong with a spec or its parameters.
 *
 * @param path where, e.g. {@code steps[1].config.lr}, {@code params.base}, or {@code $} for the
 *     whole text
 * @param message what, e.g. {@code must be > 0}
 */
public record Problem(String path, String message) {
  @Override
  public String toString() {
    return path + ": " + message;
  }
}
