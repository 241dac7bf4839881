package dev.trainyard.pipeline.kind;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Small helpers shared by the schema records. */
final class Kinds {
  private Kinds() {}

  /** Schemas are listed in the order users see them (docs, forms, error hints), so keep order. */
  static <V> Map<String, V> ordered(Map<String, V> map) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }

  /** An ordered map of alternating keys and values, e.g. {@code inOrder("a", 1, "b", 2)}. */
  @SuppressWarnings("unchecked")
  static <V> Map<String, V> inOrder(Object... keysAndValues) {
    var map = new LinkedHashMap<String, V>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], (V) keysAndValues[i + 1]);
    }
    return Collections.unmodifiableMap(map);
  }

  @SafeVarargs
  static <V extends ValueSchema> Map<String, V> byName(V... schemas) {
    var map = new LinkedHashMap<String, V>();
    for (V schema : schemas) {
      map.put(schema.name(), schema);
    }
    return Collections.unmodifiableMap(map);
  }
}
