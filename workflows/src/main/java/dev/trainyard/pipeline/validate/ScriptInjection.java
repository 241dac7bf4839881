package dev.trainyard.pipeline.validate;

import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.spec.CommandVariables;
import dev.trainyard.pipeline.spec.Expression;
import dev.trainyard.pipeline.spec.ParamSpec;
import dev.trainyard.pipeline.spec.ParamType;
import dev.trainyard.pipeline.spec.StepSpec;
import java.util.List;
import java.util.Map;

/**
 * Refuses an expression in a {@code command} step's {@code run:} whose value could carry shell
 * syntax (a string, a path, a list), the way actionlint flags script injection in GitHub Actions:
 * quoting in the template cannot make such text safe ({@code "$(...)"} still runs, a heredoc too).
 * Only int, number and boolean values, whose validated form is plain digits or a word, may be
 * written there; everything else is read from an environment variable (see {@link
 * CommandVariables}).
 */
final class ScriptInjection {
  private ScriptInjection() {}

  static boolean applies(StepSpec step, String field) {
    return StepKinds.find(step.kind()).map(kind -> field.equals(kind.shellField())).orElse(false);
  }

  static void check(
      StepSpec step,
      String path,
      String source,
      Expression expression,
      Map<String, ParamSpec> params,
      Problems problems) {
    String hint =
        switch (expression) {
          case Expression.ParamRef ref -> {
            ParamSpec param = params.get(ref.name());
            if (param == null || isPlain(param.type())) {
              yield null;
            }
            yield param.type().isArtifact()
                ? viaInputs(ref.name(), source)
                : "pass it through the environment instead: \"$"
                    + CommandVariables.param(ref.name())
                    + "\"";
          }
          case Expression.MatrixRef ref -> {
            List<Object> values = step.matrix().get(ref.key());
            if (values == null || values.stream().allMatch(ScriptInjection::isPlainValue)) {
              yield null;
            }
            yield "pass it through the environment instead: \"$"
                + CommandVariables.matrix(ref.key())
                + "\"";
          }
          case Expression.StepOutputRef ref -> viaInputs(ref.step(), source);
          case Expression.InputsRef ref ->
              "read the environment instead: $"
                  + CommandVariables.INPUTS
                  + " (one path per line) or the file $"
                  + CommandVariables.INPUTS
                  + CommandVariables.FILE_SUFFIX;
          case Expression.Unknown unknown -> null;
        };
    if (hint != null) {
      problems.add(
          path,
          source
              + " would be pasted into the shell script, where no quoting stops a value "
              + "from running as code; "
              + hint);
    }
  }

  private static String viaInputs(String name, String source) {
    String key = name.replaceAll("[^A-Za-z0-9_]", "_");
    return "name it under inputs: (inputs: {"
        + key
        + ": "
        + source
        + "}) and use \"$"
        + CommandVariables.input(key)
        + "\"";
  }

  private static boolean isPlain(ParamType type) {
    return type == ParamType.INT || type == ParamType.NUMBER || type == ParamType.BOOLEAN;
  }

  private static boolean isPlainValue(Object value) {
    return value instanceof Number || value instanceof Boolean;
  }
}
