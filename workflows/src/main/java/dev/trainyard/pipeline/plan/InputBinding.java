package dev.trainyard.pipeline.plan;

/**
 * An artifact a step reads: either an output of an earlier step ({@code fromStep}/{@code output})
 * or an existing artifact chosen by a checkpoint/dataset parameter ({@code artifactId}).
 *
 * @param name how the step body refers to it: {@code ${{ inputs.NAME }}}. For step outputs it is
 *     {@code <step>.<output>}, for parameters {@code params.<param>}.
 * @param role the lineage edge role, e.g. {@code input:model}, {@code input:data}, {@code input}
 */
public record InputBinding(
    String name, String role, String fromStep, String output, String artifactId) {
  public static InputBinding ofStep(String name, String role, String fromStep, String output) {
    return new InputBinding(name, role, fromStep, output, null);
  }

  public static InputBinding ofArtifact(String name, String role, String artifactId) {
    return new InputBinding(name, role, null, null, artifactId);
  }

  public boolean fromStepOutput() {
    return fromStep != null;
  }
}
