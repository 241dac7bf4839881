package dev.trainyard.pipeline.kind;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The catalogue as JSON Schema (draft 2020-12), generated from {@link StepKinds} so that the API,
 * the template editor and {@code docs/spec-reference.md} show exactly the rules the validator
 * enforces.
 *
 * <p>The schema describes a step as written in a spec, before launch: a scalar value may instead be
 * one whole {@code ${{ … }}} expression (known only at launch, checked again after substitution),
 * and artifact fields take nothing but a reference expression. The validator remains the authority
 * for what a schema cannot say (references to existing steps, artifact types of parameters, gate
 * metrics).
 */
public final class KindSchemas {
  private KindSchemas() {}

  public static final String DIALECT = "https://json-schema.org/draft/2020-12/schema";

  /** Base of the {@code $id}s; a name, not a URL anyone fetches. */
  public static final String ID_BASE = "urn:trainyard:step-kind:";

  /** A string that is exactly one {@code ${{ … }}} expression. */
  public static final String EXPRESSION_PATTERN = "^\\$\\{\\{[^}]*\\}\\}$";

  /**
   * A string containing an expression somewhere (constraints are checked only after substitution).
   */
  public static final String CONTAINS_EXPRESSION_PATTERN = "\\$\\{\\{";

  /** What an artifact field accepts: a parameter or a step output, as one expression. */
  public static final String ARTIFACT_REFERENCE_PATTERN =
      "^\\$\\{\\{\\s*(params\\.[A-Za-z_][A-Za-z0-9_]*|steps\\.[A-Za-z0-9_-]+\\.outputs\\.[A-Za-z0-9_-]+)\\s*\\}\\}$";

  /** A reference that may stand for several artifacts: a step output, with or without [*]. */
  public static final String FAN_IN_REFERENCE_PATTERN =
      "^\\$\\{\\{\\s*(params\\.[A-Za-z_][A-Za-z0-9_]*|steps\\.[A-Za-z0-9_-]+\\.outputs\\.[A-Za-z0-9_-]+(\\[\\*\\])?)\\s*\\}\\}$";

  private static final String DURATION_PATTERN =
      "^\\s*(\\d+|(\\d+h)?\\s*(\\d+m)?\\s*(\\d+s)?)\\s*$";
  private static final String MATRIX_KEY_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";

  /**
   * Types whose value may be written as an expression: parameters and matrix values are scalars, so
   * an expression in place of an object or list would fail once substituted; the schema says so up
   * front.
   */
  private static final java.util.Set<ValueType> SCALARS =
      java.util.EnumSet.of(
          ValueType.STRING, ValueType.INT, ValueType.NUMBER, ValueType.BOOLEAN, ValueType.DURATION);

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** One kind's step as a standalone JSON Schema document. */
  public static Map<String, Object> of(StepKind kind) {
    var schema = new LinkedHashMap<String, Object>();
    schema.put("$schema", DIALECT);
    schema.put("$id", ID_BASE + kind.name());
    schema.putAll(step(kind));
    return schema;
  }

  /** The step object of one kind: common fields plus the kind's own, nothing else. */
  static Map<String, Object> step(StepKind kind) {
    var schema = new LinkedHashMap<String, Object>();
    schema.put("title", kind.name());
    schema.put("description", kind.description());
    schema.put("type", "object");
    var properties = new LinkedHashMap<String, Object>();
    var required = new ArrayList<String>();
    for (StepField field : StepKinds.COMMON_FIELDS.values()) {
      if (field.name().equals("kind")) {
        properties.put("kind", ordered("const", kind.name(), "description", field.description()));
      } else if (field.name().equals("id")) {
        // An id names the step in the graph before anything is substituted: never an expression.
        properties.put(
            "id",
            ordered(
                "description",
                field.description(),
                "type",
                "string",
                "pattern",
                anchored(field.constraint().pattern())));
      } else {
        properties.put(field.name(), value(field));
      }
      if (field.required()) {
        required.add(field.name());
      }
    }
    for (StepField field : kind.fields().values()) {
      properties.put(field.name(), value(field));
      if (field.required()) {
        required.add(field.name());
      }
    }
    schema.put("properties", properties);
    schema.put("required", required);
    schema.put("additionalProperties", false);
    if (kind.example() != null) {
      schema.put("examples", List.of(example(kind)));
    }
    return schema;
  }

  /**
   * The whole pipeline document: its top-level fields, and steps that are each one of the kinds
   * (the {@code kind} constant picks which).
   */
  public static Map<String, Object> pipeline() {
    var defs = new LinkedHashMap<String, Object>();
    var choices = new ArrayList<Object>();
    for (StepKind kind : StepKinds.all()) {
      defs.put(kind.name(), step(kind));
      choices.add(ordered("$ref", "#/$defs/" + kind.name()));
    }
    var param = new LinkedHashMap<String, Object>();
    param.put("type", "object");
    param.put(
        "properties",
        ordered(
            "type",
                ordered(
                    "enum",
                    List.of("string", "int", "number", "boolean", "checkpoint", "dataset"),
                    "description",
                    "checkpoint and dataset parameters are artifacts the launcher picks"),
            "default", ordered("description", "value when the launcher gives none"),
            "required",
                ordered("type", "boolean", "description", "default: true when there is no default"),
            "description", ordered("type", "string", "description", "shown in the launch form")));
    param.put("required", List.of("type"));
    param.put("additionalProperties", false);

    var schema = new LinkedHashMap<String, Object>();
    schema.put("$schema", DIALECT);
    schema.put("$id", ID_BASE + "pipeline");
    schema.put("title", "Pipeline");
    schema.put("description", "A Trainyard pipeline spec (trainyard/v1), in YAML or JSON.");
    schema.put("type", "object");
    schema.put(
        "properties",
        ordered(
            "apiVersion", ordered("const", "trainyard/v1"),
            "kind", ordered("const", "Pipeline"),
            "name",
                ordered(
                    "type",
                    "string",
                    "pattern",
                    anchored(StepKinds.ID_PATTERN),
                    "description",
                    "the template's name"),
            "description", ordered("type", "string", "description", "free text"),
            "params",
                ordered(
                    "type",
                    "object",
                    "propertyNames",
                    ordered("pattern", MATRIX_KEY_PATTERN),
                    "additionalProperties",
                    param,
                    "description",
                    "launch parameters, referenced as ${{ params.NAME }}"),
            "steps",
                ordered(
                    "type",
                    "array",
                    "minItems",
                    1,
                    "items",
                    ordered("oneOf", choices),
                    "description",
                    "the steps; their order is free, references and needs: make the graph")));
    schema.put("required", List.of("apiVersion", "kind", "name", "steps"));
    schema.put("additionalProperties", false);
    schema.put("$defs", defs);
    return schema;
  }

  /** A kind's example step (YAML in the catalogue) as a JSON tree. */
  public static Object example(StepKind kind) {
    try {
      List<?> items = YAML.readValue(kind.example(), List.class);
      return items.get(0);
    } catch (JsonProcessingException | RuntimeException e) {
      throw new IllegalStateException(
          "the example of kind '" + kind.name() + "' is not a YAML list of one step", e);
    }
  }

  static Map<String, Object> value(ValueSchema schema) {
    var typed = typed(schema);
    var result = new LinkedHashMap<String, Object>();
    if (schema.description() != null) {
      result.put("description", describe(schema));
    }
    if (schema.defaultValue() != null && !(schema.defaultValue() instanceof ValueSchema.Derived)) {
      result.put("default", schema.defaultValue());
    }
    if (!SCALARS.contains(schema.type())
        || schema.type() == ValueType.STRING && schema.constraint().isNone()) {
      result.putAll(typed); // an expression is already a string, or could never yield a container
    } else {
      // Known only at launch: a whole expression stands for the value; a string with an expression
      // inside is checked after substitution.
      Map<String, Object> expression =
          ordered(
              "type",
              "string",
              "pattern",
              schema.type() == ValueType.STRING ? CONTAINS_EXPRESSION_PATTERN : EXPRESSION_PATTERN);
      var choices = new ArrayList<Object>();
      if (typed.size() == 1 && typed.get("anyOf") instanceof List<?> alternatives) {
        choices.addAll(alternatives); // a duration is already a choice: one list, not a nested one
      } else {
        choices.add(typed);
      }
      choices.add(expression);
      result.put("anyOf", choices);
    }
    return result;
  }

  private static String describe(ValueSchema schema) {
    var text = new StringBuilder(schema.description());
    if (!schema.accepts().isEmpty()) {
      text.append(" (")
          .append(
              String.join(" or ", schema.accepts().stream().map(ArtifactType::wireName).toList()))
          .append(")");
    }
    if (schema.defaultValue() instanceof ValueSchema.Derived derived) {
      text.append("; default: ").append(derived.rule());
    }
    return text.toString();
  }

  private static Map<String, Object> typed(ValueSchema schema) {
    var map = new LinkedHashMap<String, Object>();
    Constraint c = schema.constraint();
    switch (schema.type()) {
      case STRING -> {
        map.put("type", "string");
        if (!c.oneOf().isEmpty()) {
          map.put("enum", c.oneOf());
        }
        if (c.pattern() != null) {
          map.put("pattern", anchored(c.pattern()));
        }
      }
      case INT, NUMBER -> {
        map.put("type", schema.type() == ValueType.INT ? "integer" : "number");
        if (c.min() != null) {
          map.put(c.minExclusive() ? "exclusiveMinimum" : "minimum", number(c.min()));
        }
        if (c.max() != null) {
          map.put(c.maxExclusive() ? "exclusiveMaximum" : "maximum", number(c.max()));
        }
      }
      case BOOLEAN -> map.put("type", "boolean");
      case ARTIFACT -> {
        map.put("type", "string");
        map.put("pattern", ARTIFACT_REFERENCE_PATTERN);
      }
      case PRESET_OR_CONFIG -> map.put("type", List.of("string", "object"));
      case STRING_MAP -> {
        map.put("type", "object");
        map.put("additionalProperties", ordered("type", "string"));
      }
      case STRING_LIST -> {
        map.put("type", "array");
        map.put("items", ordered("type", "string"));
      }
      case OBJECT -> map.putAll(object(schema.entries()));
      case ARTIFACT_LIST ->
          map.put(
              "anyOf",
              List.of(
                  ordered(
                      "type",
                      "array",
                      "minItems",
                      1,
                      "items",
                      ordered("type", "string", "pattern", FAN_IN_REFERENCE_PATTERN)),
                  ordered("type", "string", "pattern", FAN_IN_REFERENCE_PATTERN)));
      case OBJECT_LIST ->
          map.put(
              "anyOf",
              List.of(
                  ordered("type", "array", "items", object(schema.entries())),
                  ordered("type", "string", "pattern", FAN_IN_REFERENCE_PATTERN)));
      case SOURCES ->
          map.put(
              "anyOf",
              List.of(
                  ordered("type", "string", "pattern", ARTIFACT_REFERENCE_PATTERN),
                  ordered(
                      "type",
                      "array",
                      "minItems",
                      1,
                      "maxItems",
                      StepKinds.MAX_SOURCES,
                      "items",
                      object(schema.entries()))));
      case DURATION ->
          map.put(
              "anyOf",
              List.of(
                  ordered("type", "integer", "exclusiveMinimum", 0),
                  ordered("type", "string", "pattern", DURATION_PATTERN)));
      case MATRIX -> {
        map.put("type", "object");
        map.put("minProperties", 1);
        map.put("propertyNames", ordered("pattern", MATRIX_KEY_PATTERN));
        map.put(
            "additionalProperties",
            ordered(
                "type",
                "array",
                "minItems",
                1,
                "items",
                ordered("type", List.of("string", "number", "boolean"))));
      }
      case ANY -> {}
    }
    return map;
  }

  private static Map<String, Object> object(Map<String, ConfigKey> entries) {
    var map = new LinkedHashMap<String, Object>();
    map.put("type", "object");
    if (entries.isEmpty()) {
      return map;
    }
    var properties = new LinkedHashMap<String, Object>();
    var required = new ArrayList<String>();
    entries
        .values()
        .forEach(
            key -> {
              properties.put(key.name(), value(key));
              if (key.required()) {
                required.add(key.name());
              }
            });
    map.put("properties", properties);
    if (!required.isEmpty()) {
      map.put("required", required);
    }
    map.put("additionalProperties", false);
    return map;
  }

  /**
   * Constraint patterns match the whole string (Java's {@code matches}); JSON Schema's match
   * anywhere.
   */
  private static String anchored(String regex) {
    return "^(?:" + regex + ")$";
  }

  /**
   * Whole bounds as integers, so an integer field's schema reads {@code minimum: 1}, not {@code
   * 1.0}.
   */
  private static Number number(double value) {
    return value == Math.rint(value) && Math.abs(value) < 0x1p53
        ? (Number) (long) value
        : (Number) value;
  }

  private static Map<String, Object> ordered(Object... keysAndValues) {
    var map = new LinkedHashMap<String, Object>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }
}
