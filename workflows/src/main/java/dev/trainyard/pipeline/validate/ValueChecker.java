package dev.trainyard.pipeline.validate;

import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.pipeline.kind.StepField;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.kind.ValueSchema;
import dev.trainyard.pipeline.spec.Durations;
import dev.trainyard.pipeline.spec.Expression;
import dev.trainyard.pipeline.spec.Expressions;
import dev.trainyard.pipeline.spec.JsonTrees;
import dev.trainyard.pipeline.spec.ParamSpec;
import dev.trainyard.pipeline.spec.StepSpec;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * Checks one value against its schema from the kind catalogue. Runs twice: on the spec as written
 * (where a value that is exactly one {@code ${{ }}} expression stands for a value known only at
 * launch) and on each planned step after substitution.
 */
public final class ValueChecker {
  /** When the check runs, which decides how expressions and artifact references are treated. */
  public enum Stage {
    SPEC,
    PLAN
  }

  public static final int MAX_MATRIX_COMBINATIONS = StepSpec.MAX_COMBINATIONS;
  private static final Pattern MATRIX_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final Stage stage;
  private final String kindName;
  private final Map<String, ParamSpec> params;
  private final Problems problems;

  /** At the plan stage: each input token's artifact type and how the spec wrote the reference. */
  private final Map<String, TypedInput> inputTypes;

  /**
   * What an input token stands for: its artifact type and the reference as written, for messages.
   */
  public record TypedInput(ArtifactType type, String written) {}

  /**
   * @param kindName used in the message about unknown config keys
   * @param params declared parameters, to tell artifact parameters from plain ones
   */
  public ValueChecker(
      Stage stage, String kindName, Map<String, ParamSpec> params, Problems problems) {
    this(stage, kindName, params, problems, Map.of());
  }

  /**
   * @param inputTypes at the plan stage: input token → what it stands for, to check artifact types
   */
  public ValueChecker(
      Stage stage,
      String kindName,
      Map<String, ParamSpec> params,
      Problems problems,
      Map<String, TypedInput> inputTypes) {
    this.stage = stage;
    this.kindName = kindName;
    this.params = params;
    this.problems = problems;
    this.inputTypes = inputTypes;
  }

  /**
   * Checks the fields of a mapping: required ones present, no unknown ones, each value well-typed.
   */
  public void checkEntries(
      String path,
      Map<?, ?> map,
      Map<String, ? extends ValueSchema> schemas,
      String unknownMessage) {
    for (var entry : map.entrySet()) {
      String key = String.valueOf(entry.getKey());
      ValueSchema schema = schemas.get(key);
      if (schema == null) {
        problems.add(
            path + "." + key,
            unknownMessage + "; expected one of " + String.join(", ", schemas.keySet()));
      } else {
        check(path + "." + key, entry.getValue(), schema);
      }
    }
    for (ValueSchema schema : schemas.values()) {
      // A key present with a null value is reported by check() above.
      if (schema.required() && !map.containsKey(schema.name())) {
        problems.add(path + "." + schema.name(), "required");
      }
    }
  }

  public void check(String path, Object value, ValueSchema schema) {
    if (value == null) {
      if (schema.required()) {
        problems.add(path, "required");
      }
      return;
    }
    if (stage == Stage.SPEC
        && value instanceof String text
        && Expressions.whole(text, Expressions.find(text)) != null) {
      // Known only at launch; the plan stage checks the substituted value.
      switch (schema.type()) {
        case ARTIFACT, SOURCES, ARTIFACT_LIST -> checkArtifactReference(path, text);
        case OBJECT_LIST -> {
          if (!(Expressions.whole(text, Expressions.find(text))
              instanceof Expression.StepOutputRef)) {
            problems.add(
                path,
                "expected a list of objects, or ${{ steps.ID.outputs.NAME[*] }}: one entry per"
                    + " expansion of a step that fans out");
          }
        }
        default -> {}
      }
      return;
    }
    switch (schema.type()) {
      case STRING -> {
        if (!(value instanceof String text)) {
          typeError(path, schema, value);
        } else if (Expressions.find(text).isEmpty()) {
          constraint(path, value, schema);
        }
      }
      case INT -> {
        if (!isInteger(value)) {
          typeError(path, schema, value);
        } else {
          constraint(path, value, schema);
        }
      }
      case NUMBER -> {
        if (!(value instanceof Number)) {
          typeError(path, schema, value);
        } else {
          constraint(path, value, schema);
        }
      }
      case BOOLEAN -> {
        if (!(value instanceof Boolean)) {
          typeError(path, schema, value);
        }
      }
      case ARTIFACT -> checkArtifact(path, value, schema);
      case ARTIFACT_LIST -> {
        if (!(value instanceof List<?> list)) {
          typeError(path, schema, value);
        } else if (list.isEmpty()) {
          problems.add(path, "must list at least one artifact");
        } else {
          for (int i = 0; i < list.size(); i++) {
            Object item = list.get(i);
            if (stage == Stage.SPEC
                && item instanceof String text
                && Expressions.whole(text, Expressions.find(text)) != null) {
              checkArtifactReference(path + "[" + i + "]", text);
            } else {
              checkArtifact(path + "[" + i + "]", item, schema);
            }
          }
        }
      }
      case PRESET_OR_CONFIG -> {
        if (value instanceof String name) {
          checkPreset(path, name);
        } else if (value instanceof Map<?, ?> map) {
          if (map.get("preset") instanceof String name) {
            checkPreset(path + ".preset", name);
          } else if (map.containsKey("preset")) {
            problems.add(
                path + ".preset",
                "expected a preset name, got " + JsonTrees.describe(map.get("preset")));
          }
        } else {
          typeError(path, schema, value);
        }
      }
      case STRING_MAP -> {
        if (!(value instanceof Map<?, ?> map)) {
          typeError(path, schema, value);
        } else {
          map.forEach(
              (k, v) -> {
                if (!(v instanceof String)) {
                  problems.add(path + "." + k, "expected string, got " + JsonTrees.describe(v));
                }
              });
        }
      }
      case STRING_LIST -> {
        if (!(value instanceof List<?> list)) {
          typeError(path, schema, value);
        } else {
          for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String)) {
              problems.add(
                  path + "[" + i + "]", "expected string, got " + JsonTrees.describe(list.get(i)));
            }
          }
        }
      }
      case OBJECT -> {
        if (!(value instanceof Map<?, ?> map)) {
          typeError(path, schema, value);
        } else {
          checkEntries(path, map, schema.entries(), unknownKeyMessage(schema));
        }
      }
      case OBJECT_LIST -> {
        if (!(value instanceof List<?> list)) {
          typeError(path, schema, value);
        } else {
          for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof Map<?, ?> map) {
              checkEntries(path + "[" + i + "]", map, schema.entries(), "unknown key");
            } else {
              problems.add(
                  path + "[" + i + "]", "expected object, got " + JsonTrees.describe(list.get(i)));
            }
          }
        }
      }
      case SOURCES -> {
        // One artifact (or a fan-in of them once planned), else a list of source objects.
        if (value instanceof List<?> list
            && !list.isEmpty()
            && list.stream().anyMatch(Map.class::isInstance)) {
          for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof Map<?, ?> map) {
              checkEntries(path + "[" + i + "]", map, schema.entries(), "unknown key");
            } else {
              problems.add(
                  path + "[" + i + "]",
                  "expected a source {dataset, weight, subset, max_epochs}, got "
                      + JsonTrees.describe(list.get(i)));
            }
          }
        } else if (value instanceof List<?> list && list.isEmpty()) {
          problems.add(path, "expected an artifact reference or at least one source");
        } else {
          checkArtifact(path, value, schema);
        }
      }
      case DURATION -> checkDuration(path, value);
      case MATRIX -> checkMatrix(path, value);
      case ANY -> {}
    }
  }

  private void checkPreset(String path, String name) {
    if (Expressions.find(name).isEmpty() && !StepKinds.MODEL_PRESETS.containsKey(name)) {
      problems.add(
          path,
          "unknown model preset '"
              + name
              + "'; presets are "
              + String.join(", ", StepKinds.MODEL_PRESETS.keySet()));
    }
  }

  private String unknownKeyMessage(ValueSchema schema) {
    return schema instanceof StepField && schema.name().equals("config")
        ? "unknown config key for kind '" + kindName + "'"
        : "unknown key";
  }

  private void checkArtifactReference(String path, String text) {
    Expression expression = Expressions.whole(text, Expressions.find(text));
    boolean ok =
        switch (expression) {
          case Expression.StepOutputRef ref -> true;
          case Expression.ParamRef ref -> {
            ParamSpec param = params.get(ref.name());
            // An unknown parameter is reported by the reference check; do not report it twice.
            yield param == null || param.type().isArtifact();
          }
          default -> false;
        };
    if (!ok) {
      problems.add(path, artifactHint());
    }
  }

  private void checkArtifact(String path, Object value, ValueSchema schema) {
    if (stage == Stage.PLAN) {
      // After planning an artifact is an input token, or a list of them for a fan-in from a matrix
      // step.
      boolean ok =
          value instanceof String
              || value instanceof List<?> list && list.stream().allMatch(String.class::isInstance);
      if (!ok) {
        problems.add(path, "expected an input reference, got " + JsonTrees.describe(value));
        return;
      }
      for (Object token : value instanceof List<?> list ? list : List.of(value)) {
        TypedInput input = inputTypes.get(token);
        if (input != null
            && input.type() != null
            && !schema.accepts().isEmpty()
            && !schema.accepts().contains(input.type())) {
          problems.add(
              path,
              "expected "
                  + String.join(
                      " or ", schema.accepts().stream().map(ArtifactType::wireName).toList())
                  + ", but "
                  + input.written()
                  + " is "
                  + input.type().wireName());
        }
      }
      return;
    }
    problems.add(path, artifactHint());
  }

  private static String artifactHint() {
    return "must reference an artifact: ${{ params.NAME }} of type checkpoint, dataset or adapter, or ${{ steps.ID.outputs.NAME }}";
  }

  private void checkDuration(String path, Object value) {
    OptionalLong seconds;
    if (value instanceof Number number && isInteger(number)) {
      seconds = OptionalLong.of(number.longValue());
    } else if (value instanceof String text) {
      seconds = Durations.parseSeconds(text);
    } else {
      seconds = OptionalLong.empty();
    }
    if (seconds.isEmpty()) {
      problems.add(
          path, "bad duration " + JsonTrees.describe(value) + "; " + Durations.FORMAT_HINT);
    } else if (seconds.getAsLong() <= 0) {
      problems.add(path, "must be > 0");
    }
  }

  private void checkMatrix(String path, Object value) {
    if (!(value instanceof Map<?, ?> map)) {
      problems.add(
          path, "expected a mapping of keys to lists of values, got " + JsonTrees.describe(value));
      return;
    }
    if (map.isEmpty()) {
      problems.add(path, "must not be empty");
      return;
    }
    long combinations = 1;
    for (var entry : map.entrySet()) {
      String keyPath = path + "." + entry.getKey();
      if (!MATRIX_KEY.matcher(String.valueOf(entry.getKey())).matches()) {
        problems.add(keyPath, "matrix key must match " + MATRIX_KEY.pattern());
      }
      if (!(entry.getValue() instanceof List<?> values) || values.isEmpty()) {
        problems.add(keyPath, "must be a non-empty list");
        continue;
      }
      // Saturate: the product of many lists would overflow a long and wrap to a small number.
      combinations =
          combinations > Long.MAX_VALUE / values.size()
              ? Long.MAX_VALUE
              : combinations * values.size();
      for (int i = 0; i < values.size(); i++) {
        Object item = values.get(i);
        if (!(item instanceof String || item instanceof Number || item instanceof Boolean)) {
          problems.add(keyPath + "[" + i + "]", "must be a scalar (string, number or boolean)");
        }
      }
    }
    if (combinations > MAX_MATRIX_COMBINATIONS) {
      problems.add(
          path,
          "too many combinations ("
              + (combinations == Long.MAX_VALUE ? "over " + Long.MAX_VALUE : combinations)
              + " > "
              + MAX_MATRIX_COMBINATIONS
              + ")");
    }
  }

  private void constraint(String path, Object value, ValueSchema schema) {
    schema.constraint().violation(value).ifPresent(message -> problems.add(path, message));
  }

  private void typeError(String path, ValueSchema schema, Object value) {
    problems.add(path, "expected " + schema.type().label() + ", got " + JsonTrees.describe(value));
  }

  /** Integral numbers, including YAML's {@code 3.0}; the planner normalises them. */
  public static boolean isInteger(Object value) {
    if (value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte) {
      return true;
    }
    if (value instanceof java.math.BigInteger big) {
      return big.bitLength() < 64;
    }
    if (value instanceof Double
        || value instanceof Float
        || value instanceof java.math.BigDecimal) {
      double d = ((Number) value).doubleValue();
      return Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 0x1p63;
    }
    return false;
  }
}
