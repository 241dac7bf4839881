package dev.trainyard.pipeline.kind;

import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * What {@code prune} method {@code experts} needs across fields, checked at validation (a launch is
 * refused with the field's path) and again by the tensor engine on the resolved body, so its CLI
 * gives the same answers. Limits that depend on the checkpoint (k at most the experts a layer has,
 * one count per layer) are the engine's: only it has read the model.
 */
public final class PruneRules {
  private PruneRules() {}

  /** Task-specific expert pruning of a Mixtral (UNCURL). */
  public static final String EXPERTS = "experts";

  /** How method experts ranks a layer's experts; the first is the default. */
  public static final List<String> RANKINGS = List.of("frequency", "gate-norm", "random");

  /** Keys only method experts reads (they have no default, so their presence is a choice). */
  private static final List<String> EXPERTS_ONLY = List.of("experts", "rank_by");

  public static void check(Map<String, Object> body, BiConsumer<String, String> problem) {
    if (!(body.get("method") instanceof String method) || !StepCheck.literal(method)) {
      return;
    }
    Map<?, ?> config = body.get("config") instanceof Map<?, ?> c ? c : Map.of();
    if (!method.equals(EXPERTS)) {
      if (body.get("profile") != null) {
        problem.accept("profile", "only method experts reads a routing profile");
      }
      for (String key : EXPERTS_ONLY) {
        if (config.get(key) != null) {
          problem.accept("config." + key, "only method experts reads it");
        }
      }
      return;
    }
    Object experts = config.get("experts");
    if (experts == null) {
      problem.accept("config.experts", "method experts needs the number of experts kept per layer");
    } else if (StepCheck.literal(experts) && !validCounts(experts)) {
      problem.accept(
          "config.experts",
          "must be an int >= 1, or a list of them with one per layer, got " + experts);
    }
    Object rankBy = config.get("rank_by");
    String ranking = rankBy == null ? RANKINGS.get(0) : String.valueOf(rankBy);
    if (RANKINGS.contains(ranking) && !ranking.equals("random") && body.get("profile") == null) {
      problem.accept(
          "profile",
          "rank_by "
              + ranking
              + " ranks experts from a routing profile (a route-stats output); give one, or use"
              + " rank_by random");
    }
  }

  /** An int >= 1, or a non-empty list of them (expressions inside are left to the engine). */
  private static boolean validCounts(Object value) {
    if (value instanceof List<?> list) {
      return !list.isEmpty()
          && list.stream().allMatch(v -> !StepCheck.literal(v) || positiveInt(v));
    }
    return positiveInt(value);
  }

  private static boolean positiveInt(Object v) {
    return v instanceof Number n
        && n.doubleValue() == Math.rint(n.doubleValue())
        && n.intValue() >= 1;
  }
}
