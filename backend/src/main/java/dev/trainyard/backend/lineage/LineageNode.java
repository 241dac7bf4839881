package dev.trainyard.backend.lineage;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Objects;

/**
 * A node of the lineage graph: an artifact, or one attempt of a step. Stored and answered as text,
 * {@code artifact:<id>} and {@code step:<run>/<step>/<attempt>}; this type is the one place that
 * knows that format.
 *
 * @param id the artifact id, or {@code <run>/<step>/<attempt>} for a step attempt
 */
public record LineageNode(Kind kind, String id) {
  public enum Kind {
    ARTIFACT("artifact"),
    STEP("step");

    private final String prefix;

    Kind(String name) {
      this.prefix = name + ":";
    }

    /** {@code artifact:} or {@code step:}: how the stored text of a node of this kind starts. */
    public String prefix() {
      return prefix;
    }
  }

  public LineageNode {
    Objects.requireNonNull(kind, "kind");
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("a lineage node needs an id");
    }
  }

  public static LineageNode artifact(String artifactId) {
    return new LineageNode(Kind.ARTIFACT, artifactId);
  }

  public static LineageNode step(String runId, String stepId, int attempt) {
    return new LineageNode(Kind.STEP, runId + "/" + stepId + "/" + attempt);
  }

  /** The node a stored or answered text names; IllegalArgumentException for any other text. */
  @JsonCreator
  public static LineageNode parse(String text) {
    for (Kind kind : Kind.values()) {
      if (text != null && text.startsWith(kind.prefix())) {
        return new LineageNode(kind, text.substring(kind.prefix().length()));
      }
    }
    throw new IllegalArgumentException("not a lineage node: " + text);
  }

  public boolean isArtifact() {
    return kind == Kind.ARTIFACT;
  }

  /** The text stored in lineage_edge and answered by the API. */
  @JsonValue
  public String format() {
    return kind.prefix() + id;
  }

  /**
   * A step attempt's {@code run / step #attempt}, or an artifact's short id: what a graph shows
   * when it knows nothing more.
   */
  public String shortLabel() {
    if (isArtifact()) {
      return id.substring(0, Math.min(id.length(), 12));
    }
    String[] parts = id.split("/");
    return parts.length == 3 ? parts[0] + " / " + parts[1] + " #" + parts[2] : format();
  }

  @Override
  public String toString() {
    return format();
  }
}
