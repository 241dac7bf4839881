package dev.trainyard.pipeline.validate;

import static dev.trainyard.pipeline.validate.SpecFields.string;

import dev.trainyard.pipeline.spec.JsonTrees;
import dev.trainyard.pipeline.spec.ParamSpec;
import dev.trainyard.pipeline.spec.ParamType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** The {@code params} mapping of a spec to {@link ParamSpec}s, with each problem at its path. */
final class ParamReader {
  private ParamReader() {}

  private static final List<String> PARAM_FIELDS =
      List.of("type", "default", "required", "description");
  private static final Pattern PARAM_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  static List<ParamSpec> read(Object value, Problems problems) {
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
}
