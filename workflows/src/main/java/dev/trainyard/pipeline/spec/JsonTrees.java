package dev.trainyard.pipeline.spec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Helpers for the JSON-like trees (Map, List, String, Number, Boolean, null) that specs carry. */
public final class JsonTrees {
  private JsonTrees() {}

  /**
   * Deep, order-keeping, unmodifiable copy, so a parsed spec cannot change under a running plan.
   */
  @SuppressWarnings("unchecked")
  public static <T> T freeze(T value) {
    if (value instanceof Map<?, ?> map) {
      var copy = new LinkedHashMap<Object, Object>();
      map.forEach((k, v) -> copy.put(k, freeze(v)));
      return (T) Collections.unmodifiableMap(copy);
    }
    if (value instanceof List<?> list) {
      var copy = new ArrayList<Object>(list.size());
      list.forEach(v -> copy.add(freeze(v)));
      return (T) Collections.unmodifiableList(copy);
    }
    return value;
  }

  /** Calls {@code visitor} with the path and text of every string in the tree, in order. */
  public static void walkStrings(
      String path, Object value, java.util.function.BiConsumer<String, String> visitor) {
    if (value instanceof String text) {
      visitor.accept(path, text);
    } else if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> walkStrings(path + "." + k, v, visitor));
    } else if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        walkStrings(path + "[" + i + "]", list.get(i), visitor);
      }
    }
  }

  /** How a value reads in an error message: strings quoted, containers by their shape. */
  public static String describe(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String text) {
      return "\"" + text + "\"";
    }
    if (value instanceof Map<?, ?>) {
      return "an object";
    }
    if (value instanceof List<?>) {
      return "a list";
    }
    return String.valueOf(value);
  }

  /** Integers as Integer when they fit, else Long: stable types for equality and for Jackson. */
  public static Number normalizeInteger(long value) {
    // Not a ?: expression: that would promote the Integer branch back to Long.
    if (value == (int) value) {
      return Integer.valueOf((int) value);
    }
    return Long.valueOf(value);
  }
}
