package dev.trainyard.pipeline.kind;

import java.util.Map;

/** What the validator needs to check one value: its type, whether it must be present, its bounds. */
public sealed interface ValueSchema permits StepField, ConfigKey {
  String name();

  ValueType type();

  boolean required();

  /** Bounds, allowed values or pattern; {@link Constraint#NONE} when any value of the type is fine. */
  Constraint constraint();

  /** For {@link ValueType#OBJECT} and {@link ValueType#OBJECT_LIST}: the allowed keys; empty otherwise. */
  Map<String, ConfigKey> entries();

  String description();
}
