package dev.trainyard.pipeline.validate;

import static dev.trainyard.pipeline.validate.SpecFields.string;

import dev.trainyard.pipeline.kind.StepField;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.plan.RetrySpec;
import dev.trainyard.pipeline.spec.Durations;
import dev.trainyard.pipeline.spec.ParamSpec;
import dev.trainyard.pipeline.spec.Processes;
import dev.trainyard.pipeline.spec.StepSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code steps} list of a spec to {@link StepSpec} records: each step's fields checked against
 * its kind (types and bounds by {@link ValueChecker}), ids unique. Checks across steps are {@link
 * ExpansionChecker}'s and {@link ReferenceChecker}'s.
 */
final class StepReader {
  private StepReader() {}

  static List<StepSpec> read(Map<?, ?> document, Map<String, ParamSpec> params, Problems problems) {
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
    return steps;
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
        if (field.equals("resources") && entry.getValue() instanceof Map<?, ?> resources) {
          ResourcesChecker.check(resources, kind.orElse(null), path + ".resources", problems);
          var launch = Processes.bodyEntry(resources);
          if (!launch.isEmpty()) {
            body.put(Processes.BODY_KEY, launch);
          }
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
}
