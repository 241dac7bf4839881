package dev.trainyard.pipeline.spec;

import dev.trainyard.pipeline.kind.ArtifactType;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Type of a pipeline parameter; {@link #yamlName()} is how a spec writes it. */
public enum ParamType {
  STRING("string"),
  INT("int"),
  NUMBER("number"),
  BOOLEAN("boolean"),
  /** An existing checkpoint, passed to steps as an input artifact rather than as text. */
  CHECKPOINT("checkpoint"),
  /** An existing dataset, passed to steps as an input artifact rather than as text. */
  DATASET("dataset"),
  /** An existing LoRA adapter (e.g. for evaluate's or merge's adapter), passed as an artifact. */
  ADAPTER("adapter");

  private final String yamlName;

  ParamType(String yamlName) {
    this.yamlName = yamlName;
  }

  public String yamlName() {
    return yamlName;
  }

  /** Whether values are artifact ids that become input bindings instead of substituted text. */
  public boolean isArtifact() {
    return artifactType() != null;
  }

  /** The type an artifact passed as this parameter must have; null for plain values. */
  public ArtifactType artifactType() {
    return switch (this) {
      case CHECKPOINT -> ArtifactType.CHECKPOINT;
      case DATASET -> ArtifactType.DATASET;
      case ADAPTER -> ArtifactType.ADAPTER;
      default -> null;
    };
  }

  public static Optional<ParamType> fromYaml(String name) {
    return Arrays.stream(values()).filter(t -> t.yamlName.equals(name)).findFirst();
  }

  public static List<String> yamlNames() {
    return Arrays.stream(values()).map(ParamType::yamlName).toList();
  }
}
