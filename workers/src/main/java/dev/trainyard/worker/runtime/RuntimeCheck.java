package dev.trainyard.worker.runtime;

import java.util.List;

/**
 * What a check of the Python runtime found.
 *
 * @param ok whether the trainer can run
 * @param summary what was found (versions), or what is wrong
 * @param missing each missing piece, as the user would install it
 */
public record RuntimeCheck(boolean ok, String summary, List<String> missing) {
  public RuntimeCheck {
    missing = List.copyOf(missing);
  }

  static RuntimeCheck ok(String summary) {
    return new RuntimeCheck(true, summary, List.of());
  }

  static RuntimeCheck missing(String summary, List<String> missing) {
    return new RuntimeCheck(false, summary, missing);
  }
}
