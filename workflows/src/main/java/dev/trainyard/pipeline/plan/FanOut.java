package dev.trainyard.pipeline.plan;

import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.kind.ValueSchema;
import dev.trainyard.pipeline.kind.ValueType;
import dev.trainyard.pipeline.spec.Expression;
import dev.trainyard.pipeline.spec.Expressions;
import dev.trainyard.pipeline.spec.StepSpec;
import dev.trainyard.pipeline.validate.Problems;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which steps fan out, and into which expansions. A matrix step expands over its combinations. A
 * step without a matrix whose single-artifact field (evaluate's {@code model:}, say) references a
 * step that fans out, without {@code [*]}, <em>follows</em> it: it expands once per expansion of
 * that step ({@code S-0 .. S-n}), expansion {@code i} reads expansion {@code i} of every step of
 * the same fan-out and sees its matrix values. Chains follow the first matrix step, the fan-out's
 * <em>origin</em>. List positions ({@code [*]}, merge {@code models:}, mixtures) fan in instead.
 *
 * <p>The one place that says how many steps a spec step becomes: the validator, the planner and
 * whoever maps planned steps back to spec steps read it.
 */
public final class FanOut {
  /** A reference written in a single-artifact position of a step's body. */
  public record SingleRef(String path, Expression.StepOutputRef ref) {}

  private final Map<String, StepSpec> byId = new LinkedHashMap<>();
  private final Map<String, String> origins = new HashMap<>();
  private final Set<String> visiting = new java.util.HashSet<>();

  private FanOut(List<StepSpec> steps) {
    steps.forEach(s -> byId.putIfAbsent(s.id(), s));
  }

  public static FanOut of(List<StepSpec> steps) {
    return new FanOut(steps);
  }

  /** Whether the step becomes several planned steps: it has a matrix or follows one. */
  public boolean fansOut(String stepId) {
    return origin(stepId) != null;
  }

  /**
   * The matrix step whose combinations this step's expansions follow (itself for a matrix step), or
   * null when it does not fan out.
   */
  public String origin(String stepId) {
    if (origins.containsKey(stepId)) {
      return origins.get(stepId);
    }
    StepSpec step = byId.get(stepId);
    if (step == null || !visiting.add(stepId)) {
      return null; // unknown, or a cycle (reported by the reference check)
    }
    String origin = null;
    if (step.fansOut()) {
      origin = stepId;
    } else {
      for (SingleRef single : singleRefs(step)) {
        if (!single.ref().all()) {
          String followed = origin(single.ref().step());
          if (followed != null) {
            origin = followed; // a second, different origin is refused by check()
            break;
          }
        }
      }
    }
    visiting.remove(stepId);
    origins.put(stepId, origin);
    return origin;
  }

  /** The steps of other fan-outs this one follows (bare references in single-artifact fields). */
  public Set<String> followed(String stepId) {
    var followed = new LinkedHashSet<String>();
    StepSpec step = byId.get(stepId);
    if (step != null) {
      for (SingleRef single : singleRefs(step)) {
        if (!single.ref().all() && fansOut(single.ref().step())) {
          followed.add(single.ref().step());
        }
      }
    }
    return followed;
  }

  /** {@code id-0, id-1, ...} for a step that fans out, otherwise just {@code id}. */
  public List<String> expandedIds(String stepId) {
    String origin = origin(stepId);
    if (origin == null) {
      return List.of(stepId);
    }
    long count = byId.get(origin).combinationCount();
    if (count > StepSpec.MAX_COMBINATIONS) {
      // Validation reports this; expanding anyway would build up to 10^8 ids (the probe's 338-byte
      // bomb).
      throw new IllegalStateException(
          byId.get(origin).path()
              + ": "
              + count
              + " combinations exceed "
              + StepSpec.MAX_COMBINATIONS);
    }
    return java.util.stream.IntStream.range(0, (int) count)
        .mapToObj(i -> stepId + "-" + i)
        .toList();
  }

  /** The matrix values each expansion sees, in expansion order; one empty map otherwise. */
  public List<Map<String, Object>> matrixValues(String stepId) {
    String origin = origin(stepId);
    return origin == null ? List.of(Map.of()) : Planner.combinations(byId.get(origin));
  }

  /** The matrix keys a step may read as {@code ${{ matrix.KEY }}}: its origin's. */
  public Set<String> matrixKeys(String stepId) {
    String origin = origin(stepId);
    return origin == null ? Set.of() : byId.get(origin).matrix().keySet();
  }

  /**
   * Refusals, each at the path of the reference: {@code [*]} of a step that does not fan out or in
   * a single-artifact field; a matrix step that would also follow another fan-out; a step following
   * two different fan-outs.
   */
  public void check(Problems problems) {
    for (StepSpec step : byId.values()) {
      String firstOrigin = null;
      String firstStep = null;
      for (SingleRef single : singleRefs(step)) {
        Expression.StepOutputRef ref = single.ref();
        String at = step.path() + "." + single.path();
        if (!byId.containsKey(ref.step())) {
          continue; // reported by the reference check
        }
        if (ref.all()) {
          problems.add(
              at,
              "[*] is the list of every expansion's output, and this field takes one artifact;"
                  + " write ${{ steps."
                  + ref.step()
                  + ".outputs."
                  + ref.output()
                  + " }} to run once per expansion of '"
                  + ref.step()
                  + "'");
          continue;
        }
        String origin = origin(ref.step());
        if (origin == null) {
          continue;
        }
        if (step.fansOut()) {
          problems.add(
              at,
              "step '"
                  + step.id()
                  + "' has its own matrix and cannot also follow the fan-out of '"
                  + ref.step()
                  + "'; drop the matrix to run once per expansion of '"
                  + ref.step()
                  + "', or take one fixed artifact");
        } else if (firstOrigin == null) {
          firstOrigin = origin;
          firstStep = ref.step();
        } else if (!firstOrigin.equals(origin)) {
          problems.add(
              at,
              "step '"
                  + step.id()
                  + "' follows the fan-out of '"
                  + firstStep
                  + "' (matrix step '"
                  + firstOrigin
                  + "') and cannot also follow '"
                  + ref.step()
                  + "' (matrix step '"
                  + origin
                  + "'); a step follows one fan-out");
        }
      }
    }
  }

  /**
   * Every step output reference written as a whole value in a position that holds one artifact: a
   * top-level {@code ARTIFACT} field, or one inside an object field (not a list of them).
   */
  public static List<SingleRef> singleRefs(StepSpec step) {
    var found = new ArrayList<SingleRef>();
    StepKind kind = StepKinds.find(step.kind()).orElse(null);
    if (kind == null) {
      return found;
    }
    kind.fields().forEach((name, field) -> collect(name, step.body().get(name), field, found));
    return found;
  }

  private static void collect(
      String path, Object value, ValueSchema schema, List<SingleRef> found) {
    if (value == null) {
      return;
    }
    if (schema.type() == ValueType.ARTIFACT && value instanceof String text) {
      if (Expressions.whole(text, Expressions.find(text)) instanceof Expression.StepOutputRef ref) {
        found.add(new SingleRef(path, ref));
      }
    } else if (schema.type() == ValueType.OBJECT && value instanceof Map<?, ?> map) {
      schema
          .entries()
          .forEach((key, entry) -> collect(path + "." + key, map.get(key), entry, found));
    }
  }
}
