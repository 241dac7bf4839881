package dev.trainyard.pipeline.plan;

import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.kind.ValueSchema;
import dev.trainyard.pipeline.kind.ValueType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Fills a planned body with its kind's defaults, so step.json is the fully resolved step: the
 * trainer and the tensor engine read values, never defaults of their own. Model preset names become
 * their architectures for the same reason.
 */
public final class Defaults {
  private Defaults() {}

  /**
   * A copy of {@code body} with every absent field, config key and key of a given object (such as
   * {@code adapter:}) that has a default filled in.
   */
  public static Map<String, Object> resolve(StepKind kind, Map<String, Object> body) {
    var resolved = new LinkedHashMap<>(body);
    kind.fields()
        .values()
        .forEach(
            field -> {
              if (resolved.get(field.name()) == null && field.defaultValue() != null) {
                resolved.put(field.name(), field.defaultValue());
              }
              if (field.type() == ValueType.PRESET_OR_CONFIG
                  && resolved.get(field.name()) != null) {
                resolved.put(field.name(), architecture(resolved.get(field.name())));
              }
              if (field.type() == ValueType.OBJECT
                  && !field.name().equals("config")
                  && resolved.get(field.name()) instanceof Map<?, ?> given) {
                // An object set on the step (sft's adapter:) gets its entries' defaults; one left
                // out stays out, since its presence means something (train an adapter).
                resolved.put(field.name(), fill(given, field.entries()));
              }
              if (field.type() == ValueType.SOURCES
                  && resolved.get(field.name()) instanceof java.util.List<?> sources) {
                // Each source of a mixture gets its defaults (weight 1) like a config does.
                resolved.put(
                    field.name(),
                    sources.stream()
                        .map(s -> s instanceof Map<?, ?> m ? fill(m, field.entries()) : s)
                        .toList());
              }
            });
    if (kind == StepKinds.EVALUATE && resolved.get("tasks") instanceof java.util.List<?> tasks) {
      // Aliases are spelling for people; step.json names each task one way, so only Java knows
      // them.
      resolved.put(
          "tasks",
          tasks.stream()
              .map(t -> t instanceof String s ? StepKinds.EVAL_TASK_ALIASES.getOrDefault(s, s) : t)
              .toList());
    }
    var config = kind.fields().get("config");
    if (config != null
        && config.entries().values().stream().anyMatch(k -> k.defaultValue() != null)) {
      Object given = resolved.get("config");
      if (given == null
          || given instanceof Map<?, ?>) { // anything else is reported by its reader, not hidden
        resolved.put(
            "config", fill(given == null ? Map.of() : (Map<?, ?>) given, config.entries()));
      }
    }
    return resolved;
  }

  /**
   * Constants first, then the rules computed from them (e.g. warm-up from max_steps); rules yield
   * ints as longs.
   */
  private static Map<String, Object> fill(
      Map<?, ?> given, Map<String, ? extends ValueSchema> keys) {
    var filled = new LinkedHashMap<String, Object>();
    given.forEach(
        (k, v) -> {
          if (v != null) {
            filled.put(String.valueOf(k), v);
          }
        });
    keys.values()
        .forEach(
            key -> {
              if (!filled.containsKey(key.name())
                  && key.defaultValue() != null
                  && !(key.defaultValue() instanceof ValueSchema.Derived)) {
                filled.put(key.name(), key.defaultValue());
              }
            });
    keys.values()
        .forEach(
            key -> {
              if (!filled.containsKey(key.name())
                  && key.defaultValue() instanceof ValueSchema.Derived derived) {
                Object value =
                    derived
                        .compute()
                        .apply(filled); // null when an input it needs is ill-typed (reported)
                if (value != null) {
                  filled.put(key.name(), value);
                }
              }
            });
    return filled;
  }

  /** A preset name, or {@code {preset: NAME, <overrides>}}, as the full architecture map. */
  private static Object architecture(Object model) {
    if (model instanceof String name && StepKinds.MODEL_PRESETS.containsKey(name)) {
      return new LinkedHashMap<>(StepKinds.MODEL_PRESETS.get(name));
    }
    if (model instanceof Map<?, ?> map
        && map.get("preset") instanceof String name
        && StepKinds.MODEL_PRESETS.containsKey(name)) {
      var merged = new LinkedHashMap<String, Object>(StepKinds.MODEL_PRESETS.get(name));
      map.forEach(
          (k, v) -> {
            if (!"preset".equals(k)) {
              merged.put(String.valueOf(k), v);
            }
          });
      return merged;
    }
    return model; // validated already: an inline architecture
  }
}
