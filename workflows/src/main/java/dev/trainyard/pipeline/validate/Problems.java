package dev.trainyard.pipeline.validate;

import java.util.ArrayList;
import java.util.List;

/** Collects problems while a check goes on; validation never stops at the first one. */
public final class Problems {
  private final List<Problem> found = new ArrayList<>();

  public void add(String path, String message) {
    found.add(new Problem(readable(path), message));
  }

  /**
   * A YAML key can be empty or contain dots; such a segment would make the path unreadable (or
   * empty). Empty segments are shown as {@code ""}; an empty path is the document, {@code $}.
   */
  static String readable(String path) {
    if (path == null || path.isEmpty()) {
      return "$";
    }
    String shown = path.startsWith(".") ? "\"\"" + path : path;
    shown = shown.replace("..", ".\"\".");
    return shown.endsWith(".") ? shown + "\"\"" : shown;
  }

  public void addAll(List<Problem> problems) {
    found.addAll(problems);
  }

  public boolean isEmpty() {
    return found.isEmpty();
  }

  public List<Problem> list() {
    return List.copyOf(found);
  }

  public void throwIfAny() {
    if (!found.isEmpty()) {
      throw new InvalidSpecException(found);
    }
  }
}
