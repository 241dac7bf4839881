package dev.trainyard.pipeline.kind;

/**
 * The shape a step field or config value must have. {@link #label()} is what users read in errors.
 */
public enum ValueType {
  STRING("string"),
  INT("int"),
  NUMBER("number"),
  BOOLEAN("boolean"),
  /**
   * One artifact reference: {@code ${{ params.P }}} (checkpoint/dataset) or {@code ${{
   * steps.S.outputs.O }}}.
   */
  ARTIFACT("artifact reference"),
  /**
   * Several artifacts: a list of references, where {@code ${{ steps.S.outputs.O[*] }}} (or a
   * reference to a step that fans out) stands for all of its expansions' outputs.
   */
  ARTIFACT_LIST("list of artifact references"),
  /** A model preset name or an inline model config (from-scratch pretraining). */
  PRESET_OR_CONFIG("preset name or model config"),
  STRING_MAP("map of strings"),
  STRING_LIST("list of strings"),
  /** A mapping whose keys are described by the schema's entries. */
  OBJECT("object"),
  /** A list of mappings, each described by the schema's entries. */
  OBJECT_LIST("list of objects"),
  /**
   * Training data: one artifact reference, or a mixture, a list of sources each described by the
   * schema's entries (one of them the artifact).
   */
  SOURCES("artifact reference or list of sources"),
  /**
   * Seconds as a positive number, or a string such as {@code 90s}, {@code 10m}, {@code 2h}, {@code
   * 1h30m}.
   */
  DURATION("duration"),
  /** Keys to non-empty lists of scalars; the step fans out over their cartesian product. */
  MATRIX("matrix"),
  ANY("any");

  private final String label;

  ValueType(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
