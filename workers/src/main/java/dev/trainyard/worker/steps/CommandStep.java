package dev.trainyard.worker.steps;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code command} step: any program, e.g. an existing torchrun script. Its body is
 * {@code run} (a shell command string, or a list of arguments) and optionally {@code env} (a map);
 * both may use {@code ${{ inputs.NAME }}} tokens.
 *
 * @param command the shell command, tokens substituted
 * @param env the step's own environment variables, tokens substituted
 */
public record CommandStep(String command, Map<String, String> env) {
  public CommandStep {
    env = Map.copyOf(env);
  }

  public static CommandStep of(Map<String, Object> body, InputTokens tokens) {
    Object run = body == null ? null : body.get("run");
    if (run == null || (run instanceof String s && s.isBlank()) || (run instanceof List<?> l && l.isEmpty())) {
      throw new IllegalArgumentException("a command step needs a non-empty 'run'");
    }
    if (!(run instanceof String) && !(run instanceof List<?>)) {
      throw new IllegalArgumentException("'run' must be a string or a list of strings");
    }
    Map<String, String> env = new LinkedHashMap<>();
    if (body.get("env") instanceof Map<?, ?> declared) {
      declared.forEach((name, value) ->
          env.put(String.valueOf(name), value == null ? "" : tokens.render(value, false)));
    } else if (body.get("env") != null) {
      throw new IllegalArgumentException("'env' must be a map of names to values");
    }
    return new CommandStep(tokens.render(run, true), env);
  }
}
