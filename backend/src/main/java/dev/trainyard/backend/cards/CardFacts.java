package dev.trainyard.backend.cards;

import java.util.List;

/**
 * What the catalog knows about a checkpoint, as a model card states it. Ordered and free of
 * timestamps of its own making, so the same lineage renders the same card (and the same artifact
 * id).
 *
 * @param run the run that wrote the checkpoint; null for an imported one
 */
public record CardFacts(
    String checkpointId,
    String type,
    String name,
    String team,
    String createdBy,
    Run run,
    List<Dataset> datasets,
    List<Parent> parents,
    List<Eval> evals) {

  /** The recipe: the template and version the run compiled, the step that wrote the checkpoint. */
  public record Run(
      String id,
      String template,
      int templateVersion,
      String stepId,
      String stepKind,
      String launchedBy,
      String triggeredBy) {}

  /** A registered dataset version upstream of the checkpoint. */
  public record Dataset(String name, int version, String artifactId, String format, long records) {
    public String ref() {
      return name + ":v" + version;
    }
  }

  /** A checkpoint or adapter upstream of this one (a base model, a merged parent). */
  public record Parent(String artifactId, String type, String name) {
    public String label() {
      return name != null ? name : artifactId.substring(0, 12);
    }
  }

  /**
   * One metric an evaluate step measured on the checkpoint.
   *
   * @param dataset the evaluation set's version ref, or null when it was not a registered version
   */
  public record Eval(
      String suite,
      String metric,
      double value,
      String dataset,
      String runId,
      String stepId,
      int attempt) {}
}
