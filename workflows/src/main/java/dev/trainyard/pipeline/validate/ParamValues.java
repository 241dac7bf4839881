package dev.trainyard.pipeline.validate;

import dev.trainyard.pipeline.spec.JsonTrees;
import dev.trainyard.pipeline.spec.ParamSpec;
import dev.trainyard.pipeline.spec.ParamType;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Checks parameter values supplied at launch against the declared parameters and applies defaults.
 */
public final class ParamValues {
  private ParamValues() {}

  /** Checkpoint and dataset values arrive already resolved by the backend to content ids. */
  private static final Pattern ARTIFACT_ID = Pattern.compile("[0-9a-f]{64}");

  /**
   * The value of every declared parameter (null for an absent optional one), normalised to plain
   * JSON types: String, Integer/Long, Double (or an integral number for {@code number}), Boolean.
   */
  public static Map<String, Object> resolve(
      List<ParamSpec> declared, Map<String, Object> supplied, Problems problems) {
    Map<String, Object> given = supplied == null ? Map.of() : supplied;
    var values = new LinkedHashMap<String, Object>();
    for (ParamSpec param : declared) {
      String path = "params." + param.name();
      Object value = given.get(param.name());
      if (value == null) {
        value = param.defaultValue();
      }
      if (value == null) {
        if (param.required()) {
          problems.add(path, "required");
        }
        values.put(param.name(), null);
        continue;
      }
      Optional<Object> typed = convert(param.type(), value);
      if (typed.isEmpty()) {
        problems.add(path, typeMessage(param.type(), value));
      } else if (param.type().isArtifact()
          && !ARTIFACT_ID.matcher((String) typed.get()).matches()) {
        problems.add(path, "expected an artifact id");
      }
      values.put(param.name(), typed.orElse(null));
    }
    for (String name : given.keySet()) {
      if (declared.stream().noneMatch(p -> p.name().equals(name))) {
        problems.add("params." + name, "unknown parameter");
      }
    }
    return values;
  }

  /** The value as the given type, or empty when it does not fit (no string-to-number coercion). */
  public static Optional<Object> convert(ParamType type, Object value) {
    return switch (type) {
      case STRING, CHECKPOINT, DATASET, ADAPTER ->
          value instanceof String ? Optional.of(value) : Optional.empty();
      case BOOLEAN -> value instanceof Boolean ? Optional.of(value) : Optional.empty();
      case INT ->
          ValueChecker.isInteger(value)
              ? Optional.of(JsonTrees.normalizeInteger(((Number) value).longValue()))
              : Optional.empty();
      case NUMBER -> number(value);
    };
  }

  private static Optional<Object> number(Object value) {
    if (!(value instanceof Number number)) {
      return Optional.empty();
    }
    if (value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte) {
      return Optional.of(JsonTrees.normalizeInteger(number.longValue()));
    }
    double d = value instanceof BigDecimal big ? big.doubleValue() : number.doubleValue();
    return Double.isFinite(d) ? Optional.of(d) : Optional.empty();
  }

  public static String typeMessage(ParamType type, Object value) {
    return type.isArtifact()
        ? "expected an artifact id"
        : "expected " + type.yamlName() + ", got " + JsonTrees.describe(value);
  }
}
