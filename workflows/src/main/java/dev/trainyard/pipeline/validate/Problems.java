package dev.trainyard.pipeline.validate;

import java.util.ArrayList;
import java.util.List;

/** Collects problems while a check goes on; validation never stops at the first one. */
public final class Problems {
  private final List<Problem> found = new ArrayList<>();

  public void add(String path, String message) {
    found.add(new Problem(path, message));
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
