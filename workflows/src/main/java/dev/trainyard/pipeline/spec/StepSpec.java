package dev.trainyard.pipeline.spec;

import dev.trainyard.pipeline.plan.RetrySpec;
import java.util.List;
import java.util.Map;

/**
 * One step as written in the spec, with scheduling fields defaulted and the kind-specific part kept
 * as a JSON-like tree (expressions not yet substituted).
 *
 * @param index position in {@code steps:}, used in problem paths ({@code steps[index]})
 * @param matrix keys to their values in the order written; empty when the step does not fan out
 * @param body the kind-specific fields (e.g. {@code run}, {@code model}, {@code config}, {@code
 *     cache})
 */
public record StepSpec(
    int index,
    String id,
    String kind,
    List<String> needs,
    String pool,
    int gpus,
    long timeoutSeconds,
    RetrySpec retry,
    Map<String, List<Object>> matrix,
    String description,
    Map<String, Object> body) {
  public static final String DEFAULT_POOL = "default";
  public static final long DEFAULT_TIMEOUT_SECONDS = 24 * 60 * 60;

  /**
   * Most expansions one matrix step may have; validation refuses more before anything is expanded.
   */
  public static final int MAX_COMBINATIONS = 256;

  public StepSpec {
    needs = List.copyOf(needs);
    matrix = JsonTrees.freeze(matrix);
    body = JsonTrees.freeze(body);
  }

  /**
   * Whether the step has its own matrix. How many steps it becomes, also when it follows another
   * step's fan-out, is {@code plan.FanOut}'s to say.
   */
  public boolean fansOut() {
    return !matrix.isEmpty();
  }

  /**
   * The product of the matrix's list sizes, computed without expanding anything and saturating at
   * {@link Long#MAX_VALUE} instead of overflowing (20 keys of 10 values would wrap a long).
   */
  public long combinationCount() {
    long count = 1;
    for (List<Object> values : matrix.values()) {
      try {
        count = Math.multiplyExact(count, values.size());
      } catch (ArithmeticException overflow) {
        return Long.MAX_VALUE;
      }
    }
    return count;
  }

  /**
   * Ids of the spec steps this one depends on: its {@code needs:} plus every step whose outputs it
   * references.
   */
  public java.util.Set<String> dependencies() {
    var ids = new java.util.LinkedHashSet<String>(needs);
    JsonTrees.walkStrings(
        "",
        body,
        (path, text) -> {
          for (Expressions.Match match : Expressions.find(text)) {
            if (match.expression() instanceof Expression.StepOutputRef ref) {
              ids.add(ref.step());
            }
          }
        });
    return ids;
  }

  public String path() {
    return "steps[" + index + "]";
  }
}
