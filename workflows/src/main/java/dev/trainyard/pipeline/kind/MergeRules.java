package dev.trainyard.pipeline.kind;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * What each merge method needs across fields (a base or none, how many models, which knobs apply),
 * checked once here: at validation, so a launch is refused with the field's path, and again by the
 * tensor engine on the resolved body, so its CLI gives the same answers.
 */
public final class MergeRules {
  private MergeRules() {}

  /** The methods the tensor engine implements, after {@link #canonical} folds the spellings. */
  public static final List<String> METHODS =
      List.of(
          "linear",
          "task-arithmetic",
          "ties",
          "dare",
          "slerp",
          "model-stock",
          "breadcrumbs",
          "lora",
          "moe-experts");

  /** Folds LoRA adapters into their base (W + weight·alpha/r·B·A); the only one taking adapters. */
  public static final String LORA = "lora";

  /**
   * Merges the experts within one Mixtral (MC-SMoE): dominant experts by routing frequency, the
   * others averaged into their most similar dominant one.
   */
  public static final String MOE_EXPERTS = "moe-experts";

  /** Config keys only moe-experts reads (none has a default, so their presence is a choice). */
  private static final List<String> MOE_ONLY =
      List.of("experts", "weighting", "group_by", "align", "rank");

  /** Config keys moe-experts has no use for: the profile's frequencies weight each group. */
  private static final List<String> NOT_FOR_MOE =
      List.of("normalize", "t", "lambda", "rescale", "variant");

  /** Config keys lora has no use for: it adds each adapter's own update, scaled by its weight. */
  private static final List<String> NOT_FOR_LORA =
      List.of("normalize", "t", "lambda", "rescale", "variant");

  /** The rules as the kind runs them: the fields at validation, the input types once planned. */
  public static final StepCheck RULES =
      new StepCheck() {
        @Override
        public void check(Map<String, Object> body, BiConsumer<String, String> problem) {
          MergeRules.check(body, problem);
        }

        @Override
        public void checkTypes(
            Map<String, Object> body,
            Function<Object, ArtifactType> typeOf,
            BiConsumer<String, String> problem) {
          MergeRules.checkTypes(body, typeOf, problem);
        }
      };

  /** Methods that do not sparsify deltas, so {@code density} means nothing to them. */
  private static final List<String> DENSE = List.of("linear", "task-arithmetic", "slerp");

  /**
   * The method as the engine runs it, and the variant a compound name implies ({@code dare_ties} is
   * dare with ties sign election, as mergekit spells it).
   */
  public record Method(String name, String variant) {}

  public static Method canonical(String written) {
    String m = written.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    return switch (m) {
      case "dare-ties" -> new Method("dare", "ties");
      case "breadcrumbs-ties" -> new Method("breadcrumbs", "ties");
      case "dare-linear" -> new Method("dare", "linear");
      default -> new Method(m, null);
    };
  }

  /**
   * The rules of {@link StepKinds#MERGE} that a per-field schema cannot say. Values still written
   * as {@code ${{ }}} expressions are left alone: the engine checks them once resolved.
   */
  public static void check(Map<String, Object> body, BiConsumer<String, String> problem) {
    if (!(body.get("method") instanceof String written) || !StepCheck.literal(written)) {
      return;
    }
    String method = canonical(written).name();
    if (!METHODS.contains(method)) {
      return; // the field's own constraint names the choices
    }
    boolean hasBase = body.get("base") != null;
    List<?> models = body.get("models") instanceof List<?> list ? list : List.of();
    Map<?, ?> config = body.get("config") instanceof Map<?, ?> c ? c : Map.of();
    if (!method.equals(MOE_EXPERTS)) {
      if (body.get("profile") != null) {
        problem.accept("profile", "only method moe-experts reads a routing profile");
      }
      for (String key : MOE_ONLY) {
        if (config.get(key) != null) {
          problem.accept("config." + key, "only method moe-experts reads it");
        }
      }
    }
    switch (method) {
      case "linear" -> {
        if (hasBase) {
          problem.accept(
              "base", "linear does not use a base; list it under models with its weight");
        }
      }
      case "slerp" -> {
        int count = models.size() + (hasBase ? 1 : 0);
        if (count != 2) {
          problem.accept(
              "models",
              "slerp interpolates exactly two checkpoints (base and one model), got " + count);
        }
        if (config.get("t") == null) {
          problem.accept("config.t", "slerp needs the interpolation factor t");
        }
      }
      case LORA -> {
        if (!hasBase) {
          problem.accept("base", "lora needs the base checkpoint its adapters were trained on");
        }
        for (String key : NOT_FOR_LORA) {
          if (config.get(key) != null) {
            problem.accept(
                "config." + key,
                "lora does not use " + key + "; each adapter's update is scaled by its weight");
          }
        }
      }
      case MOE_EXPERTS -> {
        if (hasBase) {
          problem.accept(
              "base",
              "moe-experts merges the experts within one Mixtral; list it under models, not base");
        }
        if (body.get("models") instanceof List<?> && models.size() != 1) { // not an expression
          problem.accept(
              "models",
              "moe-experts merges the experts within one Mixtral checkpoint, got " + models.size());
        }
        for (int i = 0; i < models.size(); i++) {
          if (models.get(i) instanceof Map<?, ?> entry) {
            for (String key : List.of("weight", "density", "gamma")) {
              if (entry.get(key) != null) {
                problem.accept(
                    "models[" + i + "]." + key,
                    "moe-experts weights the experts of a group by config.weighting, not per model");
              }
            }
          }
        }
        if (body.get("profile") == null) {
          problem.accept(
              "profile",
              "moe-experts picks the dominant experts by routing frequency; give the model's"
                  + " routing profile (a route-stats output)");
        }
        if (config.get("experts") == null) {
          problem.accept(
              "config.experts", "moe-experts needs the number of dominant experts kept per layer");
        }
        for (String key : NOT_FOR_MOE) {
          if (config.get(key) != null) {
            problem.accept(
                "config." + key,
                "moe-experts does not use " + key + "; config.weighting weights each group");
          }
        }
      }
      case "model-stock" -> {
        if (!hasBase) {
          problem.accept("base", "model-stock needs a base checkpoint");
        }
        if (models.size() < 2) {
          problem.accept("models", "model-stock needs at least two fine-tuned models");
        }
      }
      default -> {
        if (!hasBase) {
          problem.accept(
              "base", method + " needs a base checkpoint (task vectors are model − base)");
        }
      }
    }
    if (DENSE.contains(method) || method.equals("model-stock") || method.equals(LORA)) {
      for (int i = 0; i < models.size(); i++) {
        if (models.get(i) instanceof Map<?, ?> entry && entry.get("density") != null) {
          problem.accept(
              "models[" + i + "].density",
              method + " does not sparsify; density applies to ties, dare, breadcrumbs");
        }
      }
    }
    if (method.equals("linear") && !Boolean.FALSE.equals(config.get("normalize"))) {
      double sum = 0;
      for (Object m : models) {
        Object weight = m instanceof Map<?, ?> entry ? entry.get("weight") : null;
        if (weight == null) {
          sum += 1;
        } else if (weight instanceof Number n) {
          sum += n.doubleValue();
        } else if (weight instanceof List<?> patterns
            && !patterns.isEmpty()
            && patterns.get(0) instanceof Map<?, ?> first
            && first.get("value") instanceof Number n) {
          sum += n.doubleValue(); // a per-tensor list: its first pattern, as the engine applies it
        } else {
          return; // an expression or a per-tensor list: the engine sums what it resolves to
        }
      }
      if (!models.isEmpty() && Math.abs(sum) < 1e-12) {
        problem.accept(
            "models",
            "weights sum to 0, which normalize cannot divide by; set config.normalize: false");
      }
    }
  }

  /**
   * Method lora folds adapters, every other method merges checkpoints: each {@code models[i].model}
   * whose type is known must be the one its method takes.
   */
  public static void checkTypes(
      Map<String, Object> body,
      Function<Object, ArtifactType> typeOf,
      BiConsumer<String, String> problem) {
    if (!(body.get("method") instanceof String written) || !StepCheck.literal(written)) {
      return;
    }
    String method = canonical(written).name();
    if (!METHODS.contains(method) || !(body.get("models") instanceof List<?> models)) {
      return;
    }
    for (int i = 0; i < models.size(); i++) {
      if (!(models.get(i) instanceof Map<?, ?> entry)) {
        continue;
      }
      ArtifactType type = typeOf.apply(entry.get("model"));
      if (type == null) {
        continue;
      }
      if (method.equals(LORA) && type != ArtifactType.ADAPTER) {
        problem.accept(
            "models[" + i + "].model",
            "lora folds adapters into the base, but this is a " + type.wireName());
      } else if (!method.equals(LORA) && type == ArtifactType.ADAPTER) {
        problem.accept(
            "models[" + i + "].model",
            method + " merges checkpoints; fold an adapter into its base with method lora");
      }
    }
  }
}
