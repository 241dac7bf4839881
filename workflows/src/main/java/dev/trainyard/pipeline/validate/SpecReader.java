package dev.trainyard.pipeline.validate;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.trainyard.pipeline.kind.StepField;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.plan.RetrySpec;
import dev.trainyard.pipeline.spec.Durations;
import dev.trainyard.pipeline.spec.JsonTrees;
import dev.trainyard.pipeline.spec.ParamSpec;
import dev.trainyard.pipeline.spec.ParamType;
import dev.trainyard.pipeline.spec.PipelineSpec;
import dev.trainyard.pipeline.spec.StepSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Reads spec text (YAML or JSON) into a {@link PipelineSpec}, collecting every structural problem
 * with its path. The tree is walked by hand, not data-bound, so that each problem knows where it
 * is.
 */
public final class SpecReader {
  private SpecReader() {}

  public static final String API_VERSION = "trainyard/v1";
  public static final String PIPELINE_KIND = "Pipeline";

  private static final List<String> TOP_LEVEL_FIELDS =
      List.of("apiVersion", "kind", "name", "description", "params", "steps");
  private static final List<String> PARAM_FIELDS =
      List.of("type", "default", "required", "description");
  private static final Pattern PARAM_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /**
   * YAML 1.1 reads {@code 1e-4} (no dot) as a string; users mean a number, so such text becomes
   * one.
   */
  private static final Pattern EXPONENT_NUMBER =
      Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)[eE][-+]?\\d+");

  private static final int MAX_NESTING = 50;
  private static final int MAX_CODE_POINTS = 1_000_000;

  /** Most steps a plan may hold after matrix expansion: a few matrix steps each at the limit. */
  public static final int MAX_PLANNED_STEPS = 4 * StepSpec.MAX_COMBINATIONS;

  private static final ObjectMapper YAML = yamlMapper();

  /**
   * What reading found: the spec built from every part that was well-formed (complete only when
   * {@code problems} is empty; null when the text is not even a YAML mapping) and the problems.
   */
  public record Result(PipelineSpec spec, List<Problem> problems) {}

  private static ObjectMapper yamlMapper() {
    // Specs come from users over the API: bound what a document may cost to load (billion laughs,
    // deep nesting, huge input).
    LoaderOptions loader = new LoaderOptions();
    loader.setMaxAliasesForCollections(20);
    loader.setNestingDepthLimit(MAX_NESTING);
    loader.setCodePointLimit(MAX_CODE_POINTS);
    loader.setAllowDuplicateKeys(false);
    // Jackson reads YAML as a token stream, not through SnakeYAML's composer, so the composer's
    // nesting
    // limit does not apply: bound nesting on Jackson's side too.
    YAMLFactory factory =
        YAMLFactory.builder()
            .loaderOptions(loader)
            .streamReadConstraints(
                StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
            .build();
    ObjectMapper mapper = new ObjectMapper(factory);
    mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    return mapper;
  }

  public static Result read(String text) {
    Problems problems = new Problems();
    if (text != null && text.length() > MAX_CODE_POINTS) {
      // SnakeYAML checks its limit only between tokens; one huge scalar would slip through.
      problems.add("$", "too large: " + text.length() + " characters, at most " + MAX_CODE_POINTS);
      return new Result(null, problems.list());
    }
    JsonNode root;
    try {
      root = YAML.readTree(text == null ? "" : text);
    } catch (JsonProcessingException e) {
      problems.add("$", syntaxMessage(e));
      return new Result(null, problems.list());
    } catch (RuntimeException e) {
      // SnakeYAML's own limits (code points, nesting) may surface unwrapped.
      problems.add("$", "invalid YAML: " + firstLine(e.getMessage()));
      return new Result(null, problems.list());
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      problems.add("$", "empty document");
      return new Result(null, problems.list());
    }
    if (!(toJava(root) instanceof Map<?, ?> document)) {
      problems.add("$", "expected a mapping at the top level");
      return new Result(null, problems.list());
    }
    return new Result(readDocument(document, text, problems), problems.list());
  }

  private static PipelineSpec readDocument(Map<?, ?> document, String text, Problems problems) {
    for (Object key : document.keySet()) {
      if (!TOP_LEVEL_FIELDS.contains(String.valueOf(key))) {
        problems.add(
            String.valueOf(key),
            "unknown field; expected one of " + String.join(", ", TOP_LEVEL_FIELDS));
      }
    }
    expectConstant(document, "apiVersion", API_VERSION, problems);
    expectConstant(document, "kind", PIPELINE_KIND, problems);
    String name = string(document, "name", "name", true, problems);
    if (name != null && !name.matches(StepKinds.ID_PATTERN)) {
      problems.add("name", "must match " + StepKinds.ID_PATTERN);
    }
    String description = string(document, "description", "description", false, problems);
    List<ParamSpec> params = readParams(document.get("params"), problems);
    Map<String, ParamSpec> paramsByName = new LinkedHashMap<>();
    params.forEach(p -> paramsByName.put(p.name(), p));
    List<StepSpec> steps = readSteps(document, paramsByName, problems);
    ReferenceChecker.check(steps, paramsByName, problems);
    return new PipelineSpec(name, description, params, steps, text);
  }

  private static void expectConstant(
      Map<?, ?> document, String key, String expected, Problems problems) {
    Object value = document.get(key);
    if (value == null) {
      problems.add(key, "required");
    } else if (!expected.equals(value)) {
      problems.add(key, "expected " + expected + ", got " + JsonTrees.describe(value));
    }
  }

  private static List<ParamSpec> readParams(Object value, Problems problems) {
    var params = new ArrayList<ParamSpec>();
    if (value == null) {
      return params;
    }
    if (!(value instanceof Map<?, ?> map)) {
      problems.add(
          "params",
          "expected a mapping of parameter names to {type, default, required, description}");
      return params;
    }
    for (var entry : map.entrySet()) {
      String name = String.valueOf(entry.getKey());
      String path = "params." + name;
      if (!PARAM_NAME.matcher(name).matches()) {
        problems.add(path, "parameter name must match " + PARAM_NAME.pattern());
        continue;
      }
      if (!(entry.getValue() instanceof Map<?, ?> fields)) {
        problems.add(path, "expected a mapping such as {type: string, default: ...}");
        continue;
      }
      readParam(name, path, fields, problems).ifPresent(params::add);
    }
    return params;
  }

  private static Optional<ParamSpec> readParam(
      String name, String path, Map<?, ?> fields, Problems problems) {
    for (Object key : fields.keySet()) {
      if (!PARAM_FIELDS.contains(String.valueOf(key))) {
        problems.add(
            path + "." + key, "unknown field; expected one of " + String.join(", ", PARAM_FIELDS));
      }
    }
    String typeName = string(fields, "type", path + ".type", true, problems);
    Optional<ParamType> type = typeName == null ? Optional.empty() : ParamType.fromYaml(typeName);
    if (typeName != null && type.isEmpty()) {
      problems.add(
          path + ".type",
          "unknown type '"
              + typeName
              + "'; expected one of "
              + String.join(", ", ParamType.yamlNames()));
    }
    Object defaultValue = fields.get("default");
    if (defaultValue != null && type.isPresent()) {
      // Artifact defaults name a checkpoint the backend resolves at launch; only their type is
      // known here.
      Optional<Object> typed = ParamValues.convert(type.get(), defaultValue);
      if (typed.isEmpty()) {
        problems.add(path + ".default", ParamValues.typeMessage(type.get(), defaultValue));
      }
      defaultValue = typed.orElse(null);
    }
    Object required = fields.get("required");
    if (required != null && !(required instanceof Boolean)) {
      problems.add(path + ".required", "expected boolean, got " + JsonTrees.describe(required));
    }
    String description = string(fields, "description", path + ".description", false, problems);
    if (type.isEmpty()) {
      return Optional.empty();
    }
    boolean isRequired = required instanceof Boolean flag ? flag : defaultValue == null;
    return Optional.of(new ParamSpec(name, type.get(), isRequired, defaultValue, description));
  }

  private static List<StepSpec> readSteps(
      Map<?, ?> document, Map<String, ParamSpec> params, Problems problems) {
    var steps = new ArrayList<StepSpec>();
    Object value = document.get("steps");
    if (value == null) {
      problems.add("steps", "required");
      return steps;
    }
    if (!(value instanceof List<?> list)) {
      problems.add("steps", "expected a list of steps");
      return steps;
    }
    if (list.isEmpty()) {
      problems.add("steps", "must not be empty");
    }
    Map<String, String> firstPathById = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      String path = "steps[" + i + "]";
      if (!(list.get(i) instanceof Map<?, ?> step)) {
        problems.add(path, "expected a mapping");
        continue;
      }
      StepSpec spec = readStep(i, path, step, params, problems);
      if (spec == null) {
        continue;
      }
      String first = firstPathById.putIfAbsent(spec.id(), path);
      if (first != null) {
        problems.add(
            path + ".id", "duplicate id '" + spec.id() + "' (first used at " + first + ")");
      } else {
        steps.add(spec);
      }
    }
    reportExpansionClashes(steps, problems);
    return steps;
  }

  /**
   * A matrix step {@code work} expands to {@code work-0, ...}; a step already named so would be
   * ambiguous. Only steps within the combination limit are expanded (the checker reports the
   * others), and the whole plan is bounded too, so that no spec makes the planner build more than
   * {@link #MAX_PLANNED_STEPS}.
   */
  private static void reportExpansionClashes(List<StepSpec> steps, Problems problems) {
    var stepsById = new HashMap<String, StepSpec>();
    steps.forEach(step -> stepsById.put(step.id(), step));
    long planned = 0;
    for (StepSpec step : steps) {
      long count = step.combinationCount();
      if (count > StepSpec.MAX_COMBINATIONS) {
        continue;
      }
      planned += count;
      if (!step.fansOut()) {
        continue;
      }
      for (String expanded : step.expandedIds()) {
        StepSpec other = stepsById.get(expanded);
        if (other != null) {
          problems.add(
              other.path() + ".id",
              "id '" + expanded + "' clashes with an expansion of matrix step '" + step.id() + "'");
        }
      }
    }
    if (planned > MAX_PLANNED_STEPS) {
      problems.add(
          "steps",
          "too many steps once matrices are expanded (more than " + MAX_PLANNED_STEPS + ")");
    }
  }

  /** Null when the step lacks a usable id; every problem found is recorded either way. */
  private static StepSpec readStep(
      int index, String path, Map<?, ?> step, Map<String, ParamSpec> params, Problems problems) {
    String id = string(step, "id", path + ".id", true, problems);
    if (id != null && !id.matches(StepKinds.ID_PATTERN)) {
      problems.add(path + ".id", "'" + id + "' must match " + StepKinds.ID_PATTERN);
      id = null;
    }
    String kindName = string(step, "kind", path + ".kind", true, problems);
    Optional<StepKind> kind = kindName == null ? Optional.empty() : StepKinds.find(kindName);
    if (kindName != null && kind.isEmpty()) {
      problems.add(
          path + ".kind",
          "unknown step kind '"
              + kindName
              + "'; expected one of "
              + String.join(", ", StepKinds.names()));
    }
    ValueChecker checker = new ValueChecker(ValueChecker.Stage.SPEC, kindName, params, problems);
    var body = new LinkedHashMap<String, Object>();
    for (var entry : step.entrySet()) {
      String field = String.valueOf(entry.getKey());
      StepField common = StepKinds.COMMON_FIELDS.get(field);
      if (common != null) {
        if (!field.equals("id") && !field.equals("kind")) {
          checker.check(path + "." + field, entry.getValue(), common);
        }
        if (field.equals("cache")) {
          body.put(field, entry.getValue());
        }
        continue;
      }
      body.put(field, entry.getValue());
      if (kind.isPresent()) {
        StepField own = kind.get().fields().get(field);
        if (own == null) {
          problems.add(
              path + "." + field,
              "unknown field for kind '"
                  + kindName
                  + "'; expected one of "
                  + String.join(", ", allowedFields(kind.get())));
        } else {
          checker.check(path + "." + field, entry.getValue(), own);
        }
      }
    }
    kind.ifPresent(
        k ->
            k.fields().values().stream()
                .filter(f -> f.required() && !step.containsKey(f.name()))
                .forEach(f -> problems.add(path + "." + f.name(), "required")));
    kind.ifPresent(
        k ->
            k.checks()
                .forEach(
                    check ->
                        check.check(
                            body, (at, message) -> problems.add(path + "." + at, message))));
    if (id == null || kindName == null) {
      return null;
    }
    return new StepSpec(
        index,
        id,
        kindName,
        needs(step.get("needs")),
        resource(step, "pool", String.class, StepSpec.DEFAULT_POOL),
        resource(step, "gpus", Number.class, 0).intValue(),
        timeoutSeconds(step.get("timeout")),
        retry(
            step.get("retry"),
            kind.map(StepKind::defaultAttempts).orElse(RetrySpec.DEFAULT.maxAttempts())),
        matrix(step.get("matrix")),
        step.get("description") instanceof String text ? text : null,
        body);
  }

  private static List<String> allowedFields(StepKind kind) {
    var names = new ArrayList<>(kind.fields().keySet());
    names.addAll(StepKinds.COMMON_FIELDS.keySet());
    return names;
  }

  // The extractors below read values the checker has already vetted; ill-typed ones fall back to
  // defaults so the partial spec stays usable for the remaining checks.

  private static List<String> needs(Object value) {
    if (value instanceof List<?> list) {
      return list.stream().filter(String.class::isInstance).map(String.class::cast).toList();
    }
    return List.of();
  }

  private static <T> T resource(Map<?, ?> step, String key, Class<T> type, T fallback) {
    if (step.get("resources") instanceof Map<?, ?> resources
        && type.isInstance(resources.get(key))) {
      return type.cast(resources.get(key));
    }
    return fallback;
  }

  private static long timeoutSeconds(Object value) {
    if (value instanceof Number number
        && ValueChecker.isInteger(number)
        && number.longValue() > 0) {
      return number.longValue();
    }
    if (value instanceof String text) {
      var seconds = Durations.parseSeconds(text);
      if (seconds.isPresent() && seconds.getAsLong() > 0) {
        return seconds.getAsLong();
      }
    }
    return StepSpec.DEFAULT_TIMEOUT_SECONDS;
  }

  /**
   * @param defaultAttempts the kind's attempts when the spec names none (a lost worker should not
   *     fail training)
   */
  private static RetrySpec retry(Object value, int defaultAttempts) {
    RetrySpec d =
        new RetrySpec(
            defaultAttempts,
            RetrySpec.DEFAULT.backoffSeconds(),
            RetrySpec.DEFAULT.backoffMultiplier());
    if (!(value instanceof Map<?, ?> retry)) {
      return d;
    }
    return new RetrySpec(
        retry.get("max_attempts") instanceof Number n ? n.intValue() : d.maxAttempts(),
        retry.get("backoff_seconds") instanceof Number n ? n.doubleValue() : d.backoffSeconds(),
        retry.get("backoff_multiplier") instanceof Number n
            ? n.doubleValue()
            : d.backoffMultiplier());
  }

  private static Map<String, List<Object>> matrix(Object value) {
    var matrix = new LinkedHashMap<String, List<Object>>();
    if (value instanceof Map<?, ?> map) {
      map.forEach(
          (k, v) -> {
            if (v instanceof List<?> list && !list.isEmpty()) {
              matrix.put(String.valueOf(k), new ArrayList<>(list));
            }
          });
    }
    return matrix;
  }

  private static String string(
      Map<?, ?> map, String key, String path, boolean required, Problems problems) {
    Object value = map.get(key);
    if (value == null) {
      if (required) {
        problems.add(path, "required");
      }
      return null;
    }
    if (!(value instanceof String text)) {
      problems.add(path, "expected string, got " + JsonTrees.describe(value));
      return null;
    }
    return text;
  }

  /**
   * The tree as plain Java values: LinkedHashMap, ArrayList, String, Integer/Long, Double, Boolean,
   * null.
   */
  static Object toJava(JsonNode node) {
    if (node.isObject()) {
      var map = new LinkedHashMap<String, Object>();
      node.properties().forEach(e -> map.put(e.getKey(), toJava(e.getValue())));
      return map;
    }
    if (node.isArray()) {
      var list = new ArrayList<Object>();
      node.forEach(item -> list.add(toJava(item)));
      return list;
    }
    if (node.isIntegralNumber()) {
      return node.canConvertToLong()
          ? JsonTrees.normalizeInteger(node.longValue())
          : node.doubleValue();
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isTextual()) {
      String text = node.textValue();
      return EXPONENT_NUMBER.matcher(text).matches() ? Double.parseDouble(text) : text;
    }
    if (node.isNull() || node.isMissingNode()) {
      return null;
    }
    return node.asText();
  }

  private static String syntaxMessage(JsonProcessingException e) {
    JsonLocation location = e.getLocation();
    String where =
        location == null || location.getLineNr() < 1
            ? ""
            : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    return "invalid YAML" + where + ": " + firstLine(e.getOriginalMessage());
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    return message.strip().lines().findFirst().orElse("").strip();
  }
}
