package dev.trainyard.pipeline.validate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trainyard.pipeline.Pipelines;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Issue 11 H4: a small spec must not make validation or planning build a huge expansion. */
class SpecLimitsTest {
  /** The probe's bomb: 8 keys x 10 values, 10^8 combinations in 338 bytes. */
  static final String MATRIX_BOMB = bomb(8, 10);

  static String bomb(int keys, int values) {
    String list =
        IntStream.range(0, values)
            .mapToObj(Integer::toString)
            .collect(Collectors.joining(",", "[", "]"));
    String matrix =
        IntStream.range(0, keys)
            .mapToObj(k -> "k" + k + ": " + list)
            .collect(Collectors.joining(", ", "{", "}"));
    return """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: bomb
        steps:
          - id: work
            kind: command
            run: echo ${{ matrix.k0 }}
            matrix: %s
        """
        .formatted(matrix);
  }

  private static List<String> problems(String text) {
    var e =
        catchThrowableOfType(InvalidSpecException.class, () -> Pipelines.compile(text, Map.of()));
    assertThat(e).as("expected the spec to be refused").isNotNull();
    return e.problems().stream().map(Problem::toString).toList();
  }

  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }

  @Test
  void theProbesMatrixBombIsRefusedWithoutExpandingAnything() {
    assertThat(MATRIX_BOMB.length()).isLessThan(400);
    long before = allocatedBytes();
    List<String> problems = problems(MATRIX_BOMB);
    long allocated = allocatedBytes() - before;
    assertThat(problems)
        .containsExactly("steps[0].matrix: too many combinations (100000000 > 256)");
    // 10^8 expanded ids would be gigabytes; parsing 338 bytes and counting costs a few megabytes.
    assertThat(allocated).as("bytes allocated while refusing the bomb").isLessThan(64L << 20);
  }

  @Test
  void aMatrixWhoseProductOverflowsALongIsStillRefused() {
    // 2^64 combinations: a long product wraps to 0, which used to pass the limit and hang the
    // planner.
    assertThat(problems(bomb(64, 2)))
        .containsExactly("steps[0].matrix: too many combinations (over 9223372036854775807 > 256)");
  }

  @Test
  void thePlanAsAWholeIsBoundedAfterExpansion() {
    String list =
        IntStream.range(0, 16)
            .mapToObj(Integer::toString)
            .collect(Collectors.joining(",", "[", "]"));
    var steps = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      // 5 steps of 256 expansions each: every one within the per-step limit, 1,280 in all.
      steps
          .append("  - id: w")
          .append(i)
          .append("\n    kind: command\n    run: echo ${{ matrix.a }}\n")
          .append("    matrix: {a: ")
          .append(list)
          .append(", b: ")
          .append(list)
          .append("}\n");
    }
    String spec = "apiVersion: trainyard/v1\nkind: Pipeline\nname: wide\nsteps:\n" + steps;
    assertThat(problems(spec))
        .containsExactly("steps: too many steps once matrices are expanded (more than 1024)");
  }

  @Test
  void aMatrixAtTheLimitStillPlansEveryCombination() {
    var plan = Pipelines.compile(bomb(2, 16), Map.of());
    assertThat(plan.steps()).hasSize(256);
    assertThat(plan.steps().get(255).id()).isEqualTo("work-255");
  }
}
