package dev.trainyard.worker.tensor.prune;

import dev.trainyard.pipeline.kind.PruneRules;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.worker.tensor.merge.MergeRequest.InvalidMergeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A prune as the step body states it.
 *
 * @param skip substrings of tensor names left dense (embeddings, norms and the head by default);
 *     1-D tensors (biases, norms) are always left dense
 * @param mlpRatio method {@code width}: fraction of MLP intermediate channels removed (0 when
 *     absent)
 * @param headsRatio method {@code width}: fraction of attention KV groups (with their query heads)
 *     removed (0 when absent)
 * @param profile method {@code experts}: the routing profile (null when not given)
 * @param experts method {@code experts}: experts kept, one count for every layer or (when {@code
 *     expertsPerLayer}) one per layer; null for other methods
 * @param rankBy method {@code experts}: frequency, gate-norm or random
 */
public record PruneRequest(
    Path model,
    String modelRef,
    String method,
    double sparsity,
    boolean global,
    int n,
    int m,
    List<String> skip,
    long maxShardBytes,
    double mlpRatio,
    double headsRatio,
    Path profile,
    String profileRef,
    List<Integer> experts,
    boolean expertsPerLayer,
    String rankBy,
    long seed) {

  public static final List<String> METHODS = StepKinds.PRUNE_METHODS;

  /** The kind's config keys; the values come resolved (defaults filled in) by {@code Defaults}. */
  private static final Set<String> CONFIG_KEYS = StepKinds.PRUNE.configKeys().keySet();

  public static PruneRequest parse(Map<String, Object> body, Function<String, Path> resolve) {
    List<String> errors = new ArrayList<>();
    String method = String.valueOf(body.get("method")).trim().toLowerCase(java.util.Locale.ROOT);
    if (method.equals("2:4") || method.equals("n:m")) {
      method = "nm";
    }
    if (!METHODS.contains(method)) {
      errors.add("method: must be one of " + METHODS + ", got '" + body.get("method") + "'");
    }
    Path model = null;
    Object ref = body.get("model");
    if (!(ref instanceof String s) || s.isBlank()) {
      errors.add("model: must name a checkpoint");
    } else {
      try {
        model = resolve.apply(s);
      } catch (IllegalArgumentException e) {
        errors.add("model: " + e.getMessage());
      }
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> config =
        body.get("config") instanceof Map<?, ?> c ? (Map<String, Object>) c : Map.of();
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
    double sparsity = config.get("sparsity") instanceof Number x ? x.doubleValue() : Double.NaN;
    if (!(sparsity >= 0 && sparsity <= 1)) {
      errors.add("config.sparsity: must be between 0 and 1");
    }
    String scope = String.valueOf(config.get("scope"));
    if (!scope.equals("tensor") && !scope.equals("global")) {
      errors.add("config.scope: must be 'tensor' or 'global'");
    }
    int n = config.get("n") instanceof Number x ? x.intValue() : -1;
    int m = config.get("m") instanceof Number x ? x.intValue() : -1;
    if (method.equals("nm") && !(n >= 0 && m >= 1 && n <= m)) {
      errors.add("config.n/m: need 0 ≤ n ≤ m and m ≥ 1, got " + n + ":" + m);
    }
    List<String> skip = List.of();
    if (config.get("skip") instanceof List<?> l) {
      skip = l.stream().map(String::valueOf).toList();
    } else {
      errors.add("config.skip: must be a list of tensor-name substrings");
    }
    long maxShard = config.get("max_shard_bytes") instanceof Number x ? x.longValue() : 0;
    if (maxShard <= 0) {
      errors.add("config.max_shard_bytes: must be a positive number of bytes");
    }
    double mlpRatio = ratio(config, "mlp_ratio", method, errors);
    double headsRatio = ratio(config, "heads_ratio", method, errors);
    // The resolved body meets the rules validation applied, so the CLI answers as a launch does.
    PruneRules.check(body, (at, message) -> errors.add(at + ": " + message));
    Path profile = null;
    Object profileRef = body.get("profile");
    if (profileRef instanceof String s && !s.isBlank()) {
      try {
        profile = resolve.apply(s);
      } catch (IllegalArgumentException e) {
        errors.add("profile: " + e.getMessage());
      }
    } else if (profileRef != null) {
      errors.add("profile: must name a routing profile");
    }
    List<Integer> experts = null;
    boolean perLayer = config.get("experts") instanceof List<?>;
    if (method.equals(PruneRules.EXPERTS)) {
      Object e = config.get("experts");
      List<?> counts = e instanceof List<?> l ? l : e == null ? List.of() : List.of(e);
      if (!counts.isEmpty() && counts.stream().allMatch(Number.class::isInstance)) {
        experts = counts.stream().map(c -> ((Number) c).intValue()).toList();
      } // else: reported by PruneRules
    }
    String rankBy =
        config.get("rank_by") == null
            ? PruneRules.RANKINGS.get(0)
            : String.valueOf(config.get("rank_by"));
    if (!PruneRules.RANKINGS.contains(rankBy)) {
      errors.add("config.rank_by: must be one of " + String.join(", ", PruneRules.RANKINGS));
    }
    long seed = config.get("seed") instanceof Number x ? x.longValue() : 0;
    if (!errors.isEmpty()) {
      throw new InvalidMergeException(errors);
    }
    return new PruneRequest(
        model,
        String.valueOf(ref),
        method,
        sparsity,
        scope.equals("global"),
        n,
        m,
        skip,
        maxShard,
        mlpRatio,
        headsRatio,
        profile,
        profileRef == null ? null : String.valueOf(profileRef),
        experts,
        perLayer,
        rankBy,
        seed);
  }

  /** A width ratio: absent = 0; otherwise a number in [0, 1], and only for method {@code width}. */
  private static double ratio(
      Map<String, Object> config, String key, String method, List<String> errors) {
    if (!config.containsKey(key)) {
      return 0;
    }
    if (!method.equals("width")) {
      errors.add("config." + key + ": only method 'width' reads it");
      return 0;
    }
    if (!(config.get(key) instanceof Number x) || !(x.doubleValue() >= 0 && x.doubleValue() <= 1)) {
      errors.add("config." + key + ": must be between 0 and 1");
      return 0;
    }
    return x.doubleValue();
  }

  /** Whether a tensor takes part (2-D or more, float, not matched by {@link #skip}). */
  public boolean prunes(String name, dev.trainyard.worker.tensor.safetensors.TensorInfo info) {
    return info.dtype().isFloat() && info.rank() >= 2 && skip.stream().noneMatch(name::contains);
  }
}
