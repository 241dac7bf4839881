package dev.trainyard.pipeline.kind;

/**
 * One output of a kind, usable as {@code ${{ steps.ID.outputs.NAME }}}.
 *
 * @param typeField a step field that chooses the type instead ({@code command}'s {@code
 *     output_type}), or null
 */
public record Output(String name, ArtifactType type, String typeField) {
  public static Output of(String name, ArtifactType type) {
    return new Output(name, type, null);
  }

  /** The type this output has in one step: its {@link #typeField} value when the step sets it. */
  public ArtifactType typeIn(java.util.Map<String, ?> body) {
    if (typeField != null && body.get(typeField) instanceof String chosen) {
      return ArtifactType.fromWire(chosen).orElse(type);
    }
    return type;
  }
}
