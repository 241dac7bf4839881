package dev.trainyard.worker.steps;

import dev.trainyard.pipeline.spec.CommandVariables;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code command} step: any program, e.g. an existing torchrun script. Its body is {@code run} (a
 * shell command string, or a list of arguments) and optionally {@code env} (a map); both may use
 * {@code ${{ inputs.NAME }}} tokens. The planner puts parameter values and input paths in {@code
 * env}, never into {@code run}, so they reach the shell as variables, not as code.
 *
 * @param command the shell command, tokens substituted
 * @param env the step's own environment variables, tokens substituted; a list value (a fan-in's
 *     paths) becomes its items one per line
 * @param lists the list-valued variables' items, for the files that list them ({@code NAME_FILE})
 */
public record CommandStep(
    String command, Map<String, String> env, Map<String, List<String>> lists) {
  public CommandStep {
    env = Map.copyOf(env);
    lists = Map.copyOf(lists);
  }

  public static CommandStep of(Map<String, Object> body, InputTokens tokens) {
    Object run = body == null ? null : body.get("run");
    if (run == null
        || (run instanceof String s && s.isBlank())
        || (run instanceof List<?> l && l.isEmpty())) {
      throw new IllegalArgumentException("a command step needs a non-empty 'run'");
    }
    if (!(run instanceof String) && !(run instanceof List<?>)) {
      throw new IllegalArgumentException("'run' must be a string or a list of strings");
    }
    Map<String, String> env = new LinkedHashMap<>();
    Map<String, List<String>> lists = new LinkedHashMap<>();
    if (body.get("env") instanceof Map<?, ?> declared) {
      declared.forEach(
          (name, value) -> {
            if (value instanceof List<?> items) {
              List<String> substituted = new ArrayList<>(items.size());
              items.forEach(item -> substituted.add(tokens.substitute(String.valueOf(item))));
              env.put(String.valueOf(name), String.join("\n", substituted));
              lists.put(String.valueOf(name), substituted);
            } else {
              env.put(String.valueOf(name), value == null ? "" : tokens.render(value, false));
            }
          });
    } else if (body.get("env") != null) {
      throw new IllegalArgumentException("'env' must be a map of names to values");
    }
    return new CommandStep(tokens.render(run, true), env, lists);
  }

  /** The name of the variable that holds the path of the file listing {@code variable}'s items. */
  public static String listFileVariable(String variable) {
    return variable + CommandVariables.FILE_SUFFIX;
  }
}
