package dev.trainyard.pipeline.kind;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Self-description of one step kind: the single source of truth read by the validator, the planner,
 * the launch form and the docs.
 *
 * @param fields the kind-specific top-level fields (the common ones are in {@link StepKinds#COMMON_FIELDS})
 * @param outputs names usable in {@code ${{ steps.ID.outputs.NAME }}}
 */
public record StepKind(String name, String description, Map<String, StepField> fields, List<String> outputs) {
  public StepKind {
    fields = Kinds.ordered(fields);
    outputs = List.copyOf(outputs);
  }

  /** Allowed {@code config:} keys; empty when the kind takes no config. */
  public Map<String, ConfigKey> configKeys() {
    StepField config = fields.get("config");
    return config == null ? Map.of() : config.entries();
  }

  /** This kind as a plain Map/List tree (JSON-serialisable). */
  public Map<String, Object> describe() {
    var map = new LinkedHashMap<String, Object>();
    map.put("name", name);
    map.put("description", description);
    map.put("fields", describeAll(fields));
    map.put("outputs", outputs);
    return map;
  }

  static List<Map<String, Object>> describeAll(Map<String, ? extends ValueSchema> schemas) {
    var list = new ArrayList<Map<String, Object>>();
    for (ValueSchema schema : schemas.values()) {
      list.add(describe(schema));
    }
    return list;
  }

  static Map<String, Object> describe(ValueSchema schema) {
    var map = new LinkedHashMap<String, Object>();
    map.put("name", schema.name());
    map.put("type", schema.type().label());
    map.put("required", schema.required());
    if (!schema.constraint().isNone()) {
      map.put("constraint", schema.constraint().describe());
    }
    if (!schema.entries().isEmpty()) {
      map.put("entries", describeAll(schema.entries()));
    }
    if (schema.description() != null) {
      map.put("description", schema.description());
    }
    return map;
  }
}
