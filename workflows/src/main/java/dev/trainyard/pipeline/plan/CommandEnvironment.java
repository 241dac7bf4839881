package dev.trainyard.pipeline.plan;

import dev.trainyard.pipeline.spec.CommandVariables;
import dev.trainyard.pipeline.spec.ParamSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code env:} a planned {@code command} step runs with: a variable per scalar parameter, per
 * matrix key and per named input (see {@link CommandVariables}), then the author's own {@code
 * env:}, which wins on a clash. Being part of the planned body, the values also enter the step's
 * cache key. A list (a fan-in's paths) stays a list here; the worker turns it into lines and a
 * file.
 */
final class CommandEnvironment {
  private CommandEnvironment() {}

  static Map<String, Object> of(
      List<ParamSpec> params,
      Map<String, Object> paramValues,
      Map<String, Object> matrixValues,
      Object substitutedInputs,
      Object authorsEnv) {
    var env = new LinkedHashMap<String, Object>();
    for (ParamSpec param : params) {
      Object value = paramValues.get(param.name());
      if (value != null && !param.type().isArtifact()) {
        env.put(CommandVariables.param(param.name()), String.valueOf(value));
      }
    }
    matrixValues.forEach(
        (key, value) -> env.put(CommandVariables.matrix(key), String.valueOf(value)));
    if (substitutedInputs instanceof Map<?, ?> named) {
      named.forEach(
          (key, value) -> env.put(CommandVariables.input(String.valueOf(key)), textOrList(value)));
    }
    if (substitutedInputs != null) {
      env.put(CommandVariables.INPUTS, flatten(substitutedInputs));
    }
    if (authorsEnv instanceof Map<?, ?> own) {
      own.forEach((key, value) -> env.put(String.valueOf(key), value));
    }
    return env;
  }

  private static Object textOrList(Object value) {
    return value instanceof List<?> || value instanceof Map<?, ?>
        ? flatten(value)
        : String.valueOf(value);
  }

  private static List<String> flatten(Object value) {
    var pieces = new ArrayList<String>();
    if (value instanceof List<?> list) {
      list.forEach(item -> pieces.addAll(flatten(item)));
    } else if (value instanceof Map<?, ?> map) {
      map.values().forEach(item -> pieces.addAll(flatten(item)));
    } else if (value != null) {
      pieces.add(String.valueOf(value));
    }
    return pieces;
  }
}
