package dev.trainyard.worker.tensor.merge;

import dev.trainyard.pipeline.kind.MergeRules;
import dev.trainyard.pipeline.kind.StepKinds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A merge as the step body (or the CLI's YAML) states it, references resolved to checkpoint dirs.
 *
 * @param baseRef the reference as written, for the lineage record
 */
public record MergeRequest(
    String method,
    Path base,
    String baseRef,
    List<Path> models,
    List<String> modelRefs,
    MergeSettings settings,
    String dtype,
    long maxShardBytes) {

  public static final List<String> METHODS = MergeRules.METHODS;

  /** The kind's keys; values come resolved (defaults filled in) by {@code Defaults}. */
  private static final Set<String> CONFIG_KEYS = StepKinds.MERGE.configKeys().keySet();

  private static final Set<String> MODEL_KEYS =
      StepKinds.MERGE.fields().get("models").entries().keySet();

  /** Parses a body; every problem is collected, then reported at once. */
  public static MergeRequest parse(Map<String, Object> body, Function<String, Path> resolve) {
    List<String> errors = new ArrayList<>();
    MergeRules.Method canonical = MergeRules.canonical(String.valueOf(body.get("method")));
    String method = canonical.name();
    String variant = canonical.variant();
    if (!METHODS.contains(method)) {
      errors.add("method: must be one of " + METHODS + ", got '" + body.get("method") + "'");
    }
    Map<String, Object> config = map(body.get("config"), "config", errors);
    for (String key : config.keySet()) {
      if (!CONFIG_KEYS.contains(key)) {
        errors.add(
            "config."
                + key
                + ": unknown key (known: "
                + new java.util.TreeSet<>(CONFIG_KEYS)
                + ")");
      }
    }
    Object baseValue = body.get("base");
    Path base = baseValue == null ? null : resolveRef("base", baseValue, resolve, errors);
    List<Path> models = new ArrayList<>();
    List<String> refs = new ArrayList<>();
    List<MergeSettings.ModelParams> params = new ArrayList<>();
    if (!(body.get("models") instanceof List<?> list) || list.isEmpty()) {
      errors.add("models: must list at least one checkpoint");
    } else {
      for (int i = 0; i < list.size(); i++) {
        String at = "models[" + i + "]";
        Map<String, Object> entry = map(list.get(i), at, errors);
        for (String key : entry.keySet()) {
          if (!MODEL_KEYS.contains(key)) {
            errors.add(at + "." + key + ": unknown key (known: " + MODEL_KEYS + ")");
          }
        }
        models.add(resolveRef(at + ".model", entry.get("model"), resolve, errors));
        refs.add(String.valueOf(entry.get("model")));
        params.add(
            new MergeSettings.ModelParams(
                param(at + ".weight", entry.get("weight"), errors, null),
                param(at + ".density", entry.get("density"), errors, new double[] {0, 1}),
                param(at + ".gamma", entry.get("gamma"), errors, new double[] {0, 1})));
      }
    }
    if (config.get("variant") != null) {
      variant = String.valueOf(config.get("variant"));
      if (!variant.equals("ties") && !variant.equals("linear")) {
        errors.add("config.variant: must be 'linear' or 'ties'");
      }
    }
    Param t = param("config.t", config.get("t"), errors, new double[] {0, 1});
    String dtype = config.get("dtype") == null ? null : String.valueOf(config.get("dtype"));
    if (dtype != null) {
      try {
        dev.trainyard.worker.tensor.safetensors.DType.fromConfigName(dtype);
      } catch (IllegalArgumentException e) {
        errors.add("config.dtype: " + e.getMessage());
      }
    }
    // Values are resolved here, so the kind's own cross-field rules see every one of them.
    MergeRules.check(body, (at, message) -> errors.add(at + ": " + message));
    if (!(config.get("seed") instanceof Number)) {
      errors.add("config.seed: must be an integer");
    }
    long seed = config.get("seed") instanceof Number n ? n.longValue() : 0;
    long maxShard = config.get("max_shard_bytes") instanceof Number n ? n.longValue() : 0;
    if (maxShard <= 0) {
      errors.add("config.max_shard_bytes: must be a positive number of bytes");
    }
    Boolean normalize = bool("config.normalize", config.get("normalize"), errors);
    Boolean rescale = bool("config.rescale", config.get("rescale"), errors);
    Param lambda = param("config.lambda", config.get("lambda"), errors, null);
    if (!errors.isEmpty()) {
      throw new InvalidMergeException(errors);
    }
    return new MergeRequest(
        method,
        base,
        baseValue == null ? null : String.valueOf(baseValue),
        models,
        refs,
        new MergeSettings(
            params, lambda, normalize, rescale, t, seed, variant == null ? "linear" : variant),
        dtype,
        maxShard);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o, String at, List<String> errors) {
    if (o == null) {
      return Map.of();
    }
    if (o instanceof Map<?, ?> m) {
      return (Map<String, Object>) m;
    }
    errors.add(at + ": must be an object");
    return Map.of();
  }

  private static Path resolveRef(
      String at, Object ref, Function<String, Path> resolve, List<String> errors) {
    if (!(ref instanceof String s) || s.isBlank()) {
      errors.add(at + ": must name a checkpoint");
      return null;
    }
    try {
      return resolve.apply(s);
    } catch (IllegalArgumentException e) {
      errors.add(at + ": " + e.getMessage());
      return null;
    }
  }

  private static Boolean bool(String at, Object o, List<String> errors) {
    if (o == null || o instanceof Boolean) {
      return (Boolean) o;
    }
    errors.add(at + ": must be true or false");
    return null;
  }

  private static Param param(String at, Object value, List<String> errors, double[] range) {
    try {
      Param p = Param.parse(at, value);
      if (p != null && range != null) {
        for (double v : p.values()) {
          if (!(v >= range[0] && v <= range[1])) {
            errors.add(at + ": must be between " + range[0] + " and " + range[1] + ", got " + v);
          }
        }
      }
      return p;
    } catch (IllegalArgumentException e) {
      errors.add(e.getMessage());
      return null;
    }
  }

  /** A merge body with problems, all of them listed. */
  public static final class InvalidMergeException extends IllegalArgumentException {
    private final List<String> errors;

    public InvalidMergeException(List<String> errors) {
      super(String.join("; ", errors));
      this.errors = List.copyOf(errors);
    }

    public List<String> errors() {
      return errors;
    }
  }
}
