package dev.trainyard.pipeline.validate;

import dev.trainyard.pipeline.plan.FanOut;
import dev.trainyard.pipeline.spec.StepSpec;
import java.util.HashMap;
import java.util.List;

/** Checks on the steps a spec's matrices expand to: no id clashes, and a bounded plan. */
final class ExpansionChecker {
  private ExpansionChecker() {}

  /**
   * A matrix step {@code work} expands to {@code work-0, ...}; a step already named so would be
   * ambiguous. Only steps within the combination limit are expanded (the checker reports the
   * others), and the whole plan is bounded too, so that no spec makes the planner build more than
   * {@link SpecReader#MAX_PLANNED_STEPS}.
   */
  static void check(List<StepSpec> steps, Problems problems) {
    var stepsById = new HashMap<String, StepSpec>();
    steps.forEach(step -> stepsById.put(step.id(), step));
    FanOut fanOut = FanOut.of(steps);
    long planned = 0;
    for (StepSpec step : steps) {
      String origin = fanOut.origin(step.id());
      long count = origin == null ? 1 : stepsById.get(origin).combinationCount();
      if (count > StepSpec.MAX_COMBINATIONS) {
        continue;
      }
      planned += count;
      if (origin == null) {
        continue;
      }
      for (String expanded : fanOut.expandedIds(step.id())) {
        StepSpec other = stepsById.get(expanded);
        if (other != null) {
          problems.add(
              other.path() + ".id",
              "id '"
                  + expanded
                  + "' clashes with an expansion of "
                  + (step.fansOut() ? "matrix step '" : "step '")
                  + step.id()
                  + "'");
        }
      }
    }
    if (planned > SpecReader.MAX_PLANNED_STEPS) {
      problems.add(
          "steps",
          "too many steps once matrices are expanded (more than "
              + SpecReader.MAX_PLANNED_STEPS
              + ")");
    }
  }
}
