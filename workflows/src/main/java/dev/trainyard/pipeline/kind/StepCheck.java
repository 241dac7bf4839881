package dev.trainyard.pipeline.kind;

import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A rule across several fields of one kind's step that a per-value schema cannot say (e.g. an
 * evaluate gate's metric must be one its tasks measure). Runs at validation on the values written
 * literally; a value still an expression is left to the check after substitution.
 */
@FunctionalInterface
public interface StepCheck {
  /**
   * @param body the step's fields as written
   * @param problem receives (path relative to the step, e.g. {@code gate.metric}; message)
   */
  void check(Map<String, Object> body, BiConsumer<String, String> problem);

  /**
   * Rules on what the step's artifact references are (e.g. merge method lora takes adapters, the
   * other methods checkpoints), run by the planner once each reference is an input of known type.
   * None by default.
   *
   * @param typeOf the artifact type of a value of the planned body (an input token), or null when
   *     it is not a reference or its type is not known
   */
  default void checkTypes(
      Map<String, Object> body,
      Function<Object, ArtifactType> typeOf,
      BiConsumer<String, String> problem) {}

  /** Whether a value is known now: not a {@code ${{ }}} expression. */
  static boolean literal(Object value) {
    return value != null && !(value instanceof String text && text.contains("${{"));
  }
}
