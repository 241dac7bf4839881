package dev.trainyard.pipeline.plan;

import dev.trainyard.pipeline.kind.ConfigKey;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.ValueSchema;
import dev.trainyard.pipeline.kind.ValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Gives fanned-in references the shape their field has, once substituted: a fan-in is a list of
 * input tokens, and a field that lists artifacts takes it as they are, while a list of objects
 * (merge {@code models:}) gets one object per artifact. So {@code models: ${{
 * steps.seeds.outputs.model[*] }}} and {@code models: [{model: "${{ steps.seeds.outputs.model }}",
 * weight: 0.5}]} both become one entry per expansion, the other keys copied.
 */
final class FanIn {
  private FanIn() {}

  static void shape(StepKind kind, Map<String, Object> body) {
    kind.fields()
        .forEach(
            (name, field) -> {
              if (body.containsKey(name)) {
                body.put(name, shaped(body.get(name), field));
              }
            });
  }

  private static Object shaped(Object value, ValueSchema schema) {
    if (value == null) {
      return null;
    }
    return switch (schema.type()) {
      case ARTIFACT_LIST -> flatten(value);
      case OBJECT_LIST -> artifactKey(schema).map(key -> entries(value, key)).orElse(value);
      case OBJECT -> {
        if (!(value instanceof Map<?, ?> map)) {
          yield value;
        }
        var copy = new LinkedHashMap<String, Object>();
        map.forEach(
            (k, v) -> {
              ConfigKey entry = schema.entries().get(String.valueOf(k));
              copy.put(String.valueOf(k), entry == null ? v : shaped(v, entry));
            });
        yield copy;
      }
      default -> value;
    };
  }

  /** A list of artifacts: one token is a list of one, a fan-in inside the list is spliced in. */
  private static List<Object> flatten(Object value) {
    var flat = new ArrayList<Object>();
    for (Object item : value instanceof List<?> list ? list : List.of(value)) {
      if (item instanceof List<?> inner) {
        flat.addAll(inner);
      } else {
        flat.add(item);
      }
    }
    return flat;
  }

  /** The entry of an object list that names its artifact (merge models: {@code model}). */
  private static Optional<String> artifactKey(ValueSchema schema) {
    return schema.entries().values().stream()
        .filter(e -> e.required() && e.type() == ValueType.ARTIFACT)
        .map(ConfigKey::name)
        .findFirst();
  }

  private static Object entries(Object value, String key) {
    if (value instanceof String token) {
      return List.of(entry(key, token, Map.of()));
    }
    if (!(value instanceof List<?> list)) {
      return value; // reported by the field's check
    }
    var entries = new ArrayList<Object>();
    for (Object item : list) {
      if (item instanceof String token) {
        entries.add(entry(key, token, Map.of()));
      } else if (item instanceof List<?> tokens) {
        tokens.forEach(token -> entries.add(entry(key, token, Map.of())));
      } else if (item instanceof Map<?, ?> map && map.get(key) instanceof List<?> tokens) {
        tokens.forEach(token -> entries.add(entry(key, token, map)));
      } else {
        entries.add(item);
      }
    }
    return entries;
  }

  private static Map<String, Object> entry(String key, Object token, Map<?, ?> others) {
    var entry = new LinkedHashMap<String, Object>();
    others.forEach((k, v) -> entry.put(String.valueOf(k), v));
    entry.put(key, token);
    return entry;
  }
}
