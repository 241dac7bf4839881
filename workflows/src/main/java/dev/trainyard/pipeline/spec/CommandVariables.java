package dev.trainyard.pipeline.spec;

import java.util.Locale;

/**
 * Names of the environment variables through which a {@code command} step reads parameter values,
 * matrix values and input paths. Values reach the shell only as variables, never as text of {@code
 * run:}, so a value can never become shell syntax however the author quotes it.
 */
public final class CommandVariables {
  /** Every input path of the step, one per line; {@code TRAINYARD_INPUTS_FILE} lists them too. */
  public static final String INPUTS = "TRAINYARD_INPUTS";

  /** Appended to a list variable's name: the file that lists its values, one per line. */
  public static final String FILE_SUFFIX = "_FILE";

  private CommandVariables() {}

  /** {@code params.msg} → {@code TRAINYARD_PARAM_MSG} */
  public static String param(String name) {
    return "TRAINYARD_PARAM_" + upper(name);
  }

  /** {@code matrix.lr} → {@code TRAINYARD_MATRIX_LR} */
  public static String matrix(String key) {
    return "TRAINYARD_MATRIX_" + upper(key);
  }

  /** {@code inputs: {shards: ...}} → {@code TRAINYARD_INPUT_SHARDS} */
  public static String input(String key) {
    return "TRAINYARD_INPUT_" + upper(key);
  }

  private static String upper(String name) {
    return name.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9_]", "_");
  }
}
