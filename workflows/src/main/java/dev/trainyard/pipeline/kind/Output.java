package dev.trainyard.pipeline.kind;

import java.util.Map;

/**
 * One output of a kind, usable as {@code ${{ steps.ID.outputs.NAME }}}.
 *
 * @param typeField a step field that chooses the type instead ({@code command}'s {@code
 *     output_type}), or null
 * @param ifField a step field that decides whether the step has this output at all ({@code sft}
 *     with {@code adapter:} produces {@code adapter} instead of {@code model}), or null: always
 * @param ifSet with {@link #ifField}: the output exists when the field is set (true) or when it is
 *     absent (false)
 */
public record Output(
    String name, ArtifactType type, String typeField, String ifField, boolean ifSet) {
  public Output(String name, ArtifactType type, String typeField) {
    this(name, type, typeField, null, false);
  }

  public static Output of(String name, ArtifactType type) {
    return new Output(name, type, null);
  }

  /** An output the step has only when its body sets {@code field}. */
  public static Output with(String field, String name, ArtifactType type) {
    return new Output(name, type, null, field, true);
  }

  /** An output the step has only when its body leaves {@code field} out. */
  public static Output without(String field, String name, ArtifactType type) {
    return new Output(name, type, null, field, false);
  }

  /** Whether a step with this body has the output. */
  public boolean existsIn(Map<String, ?> body) {
    return ifField == null || (body.get(ifField) != null) == ifSet;
  }

  /** When the output exists, for people ("with `adapter`"), or null when always. */
  public String condition() {
    return ifField == null ? null : (ifSet ? "with `" : "without `") + ifField + "`";
  }

  /** The type this output has in one step: its {@link #typeField} value when the step sets it. */
  public ArtifactType typeIn(Map<String, ?> body) {
    if (typeField != null && body.get(typeField) instanceof String chosen) {
      return ArtifactType.fromWire(chosen).orElse(type);
    }
    return type;
  }
}
