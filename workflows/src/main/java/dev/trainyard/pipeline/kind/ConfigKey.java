package dev.trainyard.pipeline.kind;

import java.util.Map;

/** One allowed key of a step's {@code config:} (or of a nested object such as {@code replay}). */
public record ConfigKey(
    String name,
    ValueType type,
    boolean required,
    Constraint constraint,
    Map<String, ConfigKey> entries,
    String description)
    implements ValueSchema {
  public ConfigKey {
    entries = Kinds.ordered(entries);
  }

  public static ConfigKey optional(String name, ValueType type, Constraint constraint, String description) {
    return new ConfigKey(name, type, false, constraint, Map.of(), description);
  }

  public static ConfigKey required(String name, ValueType type, Constraint constraint, String description) {
    return new ConfigKey(name, type, true, constraint, Map.of(), description);
  }

  public ConfigKey withEntries(Map<String, ConfigKey> entries) {
    return new ConfigKey(name, type, required, constraint, entries, description);
  }
}
