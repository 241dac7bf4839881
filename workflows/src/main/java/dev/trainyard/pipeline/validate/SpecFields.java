package dev.trainyard.pipeline.validate;

import dev.trainyard.pipeline.spec.JsonTrees;
import java.util.Map;

/** Reading one scalar field of a spec mapping, recording what is wrong with it at its path. */
final class SpecFields {
  private SpecFields() {}

  static String string(
      Map<?, ?> map, String key, String path, boolean required, Problems problems) {
    Object value = map.get(key);
    if (value == null) {
      if (required) {
        problems.add(path, "required");
      }
      return null;
    }
    if (!(value instanceof String text)) {
      problems.add(path, "expected string, got " + JsonTrees.describe(value));
      return null;
    }
    return text;
  }
}
