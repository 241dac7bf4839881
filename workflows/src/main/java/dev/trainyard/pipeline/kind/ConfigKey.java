package dev.trainyard.pipeline.kind;

import java.util.List;
import java.util.Map;

/** One allowed key of a step's {@code config:} (or of a nested object such as {@code replay}). */
public record ConfigKey(
    String name,
    ValueType type,
    boolean required,
    Constraint constraint,
    Map<String, ConfigKey> entries,
    String description,
    List<ArtifactType> accepts,
    Object defaultValue)
    implements ValueSchema {
  public ConfigKey {
    entries = Kinds.ordered(entries);
    accepts = List.copyOf(accepts);
  }

  public static ConfigKey optional(
      String name, ValueType type, Constraint constraint, String description) {
    return new ConfigKey(name, type, false, constraint, Map.of(), description, List.of(), null);
  }

  public static ConfigKey required(
      String name, ValueType type, Constraint constraint, String description) {
    return new ConfigKey(name, type, true, constraint, Map.of(), description, List.of(), null);
  }

  public ConfigKey withEntries(Map<String, ConfigKey> entries) {
    return new ConfigKey(
        name, type, required, constraint, entries, description, accepts, defaultValue);
  }

  public ConfigKey accepting(ArtifactType... types) {
    return new ConfigKey(
        name, type, required, constraint, entries, description, List.of(types), defaultValue);
  }

  /** The planner fills {@code value} in when the key is absent. */
  public ConfigKey withDefault(Object value) {
    return new ConfigKey(name, type, required, constraint, entries, description, accepts, value);
  }
}
