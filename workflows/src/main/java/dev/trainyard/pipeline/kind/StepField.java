package dev.trainyard.pipeline.kind;

import java.util.List;
import java.util.Map;

/**
 * A top-level field of a step, e.g. {@code run} of {@code command} or {@code model} of {@code sft}.
 */
public record StepField(
    String name,
    ValueType type,
    boolean required,
    Constraint constraint,
    Map<String, ConfigKey> entries,
    String description,
    List<ArtifactType> accepts,
    Object defaultValue)
    implements ValueSchema {
  public StepField {
    entries = Kinds.ordered(entries);
    accepts = List.copyOf(accepts);
  }

  public static StepField required(String name, ValueType type, String description) {
    return new StepField(name, type, true, Constraint.NONE, Map.of(), description, List.of(), null);
  }

  public static StepField optional(String name, ValueType type, String description) {
    return new StepField(
        name, type, false, Constraint.NONE, Map.of(), description, List.of(), null);
  }

  public StepField withConstraint(Constraint constraint) {
    return new StepField(
        name, type, required, constraint, entries, description, accepts, defaultValue);
  }

  public StepField withEntries(Map<String, ConfigKey> entries) {
    return new StepField(
        name, type, required, constraint, entries, description, accepts, defaultValue);
  }

  public StepField accepting(ArtifactType... types) {
    return new StepField(
        name, type, required, constraint, entries, description, List.of(types), defaultValue);
  }

  public StepField withDefault(Object value) {
    return new StepField(name, type, required, constraint, entries, description, accepts, value);
  }
}
