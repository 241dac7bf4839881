package dev.trainyard.pipeline.kind;

import java.util.List;
import java.util.Map;

/**
 * What the validator needs to check one value: its type, whether it must be present, its bounds.
 */
public sealed interface ValueSchema permits StepField, ConfigKey {
  String name();

  ValueType type();

  boolean required();

  /**
   * Bounds, allowed values or pattern; {@link Constraint#NONE} when any value of the type is fine.
   */
  Constraint constraint();

  /**
   * For {@link ValueType#OBJECT} and {@link ValueType#OBJECT_LIST}: the allowed keys; empty
   * otherwise.
   */
  Map<String, ConfigKey> entries();

  String description();

  /**
   * For {@link ValueType#ARTIFACT}: the artifact types a reference may point at; empty means any.
   */
  List<ArtifactType> accepts();

  /**
   * What the planner writes when the key is absent: a constant, a {@link Derived} rule, or null for
   * "no default" (the key stays absent).
   */
  Object defaultValue();

  /**
   * A default computed from the other resolved keys of the same object (e.g. warm-up from
   * max_steps).
   */
  record Derived(String rule, java.util.function.Function<Map<String, Object>, Object> compute) {}
}
