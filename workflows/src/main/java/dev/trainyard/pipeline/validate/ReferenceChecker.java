package dev.trainyard.pipeline.validate;

import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.kind.ValueSchema;
import dev.trainyard.pipeline.kind.ValueType;
import dev.trainyard.pipeline.plan.FanOut;
import dev.trainyard.pipeline.spec.Expression;
import dev.trainyard.pipeline.spec.Expressions;
import dev.trainyard.pipeline.spec.JsonTrees;
import dev.trainyard.pipeline.spec.ParamSpec;
import dev.trainyard.pipeline.spec.StepSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks what steps refer to: parameters, matrix keys, other steps and their outputs; and finds
 * cycles.
 */
final class ReferenceChecker {
  private ReferenceChecker() {}

  static void check(List<StepSpec> steps, Map<String, ParamSpec> params, Problems problems) {
    Map<String, StepSpec> byId = new LinkedHashMap<>();
    steps.forEach(s -> byId.put(s.id(), s));
    FanOut fanOut = FanOut.of(steps);
    for (StepSpec step : steps) {
      for (int i = 0; i < step.needs().size(); i++) {
        String need = step.needs().get(i);
        if (!byId.containsKey(need)) {
          problems.add(step.path() + ".needs[" + i + "]", "unknown step '" + need + "'");
        }
      }
      step.body()
          .forEach(
              (field, value) ->
                  JsonTrees.walkStrings(
                      step.path() + "." + field,
                      value,
                      (path, text) ->
                          checkString(step, field, path, text, byId, params, fanOut, problems)));
    }
    reportCycles(steps, byId, problems);
    fanOut.check(problems);
    steps.forEach(step -> checkListTypes(step, byId, params, problems));
    for (StepSpec step : steps) {
      // Rules on what references are (merge lora takes adapters), where that is known from the
      // spec alone: a step's output or a typed parameter. The planner checks them again once
      // bound.
      StepKinds.find(step.kind())
          .ifPresent(
              kind ->
                  kind.checks()
                      .forEach(
                          check ->
                              check.checkTypes(
                                  step.body(),
                                  value -> typeOf(value, byId, params),
                                  (at, message) -> problems.add(step.path() + "." + at, message))));
    }
  }

  /**
   * Lists of artifacts (select-best candidates, gate.beat) take only the types they accept: known
   * from the spec for step outputs, so a template is refused when saved, not only at launch.
   */
  private static void checkListTypes(
      StepSpec step, Map<String, StepSpec> byId, Map<String, ParamSpec> params, Problems problems) {
    StepKind kind = StepKinds.find(step.kind()).orElse(null);
    if (kind != null) {
      kind.fields()
          .forEach(
              (name, field) ->
                  checkListTypes(
                      step.path() + "." + name,
                      step.body().get(name),
                      field,
                      byId,
                      params,
                      problems));
    }
  }

  private static void checkListTypes(
      String path,
      Object value,
      ValueSchema schema,
      Map<String, StepSpec> byId,
      Map<String, ParamSpec> params,
      Problems problems) {
    if (schema.type() == ValueType.OBJECT && value instanceof Map<?, ?> map) {
      schema
          .entries()
          .forEach(
              (key, entry) ->
                  checkListTypes(path + "." + key, map.get(key), entry, byId, params, problems));
      return;
    }
    if (value == null || schema.type() != ValueType.ARTIFACT_LIST || schema.accepts().isEmpty()) {
      return;
    }
    List<?> items = value instanceof List<?> list ? list : List.of(value);
    for (int i = 0; i < items.size(); i++) {
      if (!(items.get(i) instanceof String text)
          || !(Expressions.whole(text, Expressions.find(text))
              instanceof Expression.StepOutputRef ref)) {
        continue;
      }
      ArtifactType type = typeOf(text, byId, params);
      if (type != null && !schema.accepts().contains(type)) {
        problems.add(
            value instanceof List<?> ? path + "[" + i + "]" : path,
            "expected "
                + String.join(
                    " or ", schema.accepts().stream().map(ArtifactType::wireName).toList())
                + ", but output '"
                + ref.output()
                + "' of step '"
                + ref.step()
                + "' ("
                + byId.get(ref.step()).kind()
                + ") is "
                + type.wireName());
      }
    }
  }

  /** The artifact type a value written as one reference stands for, or null when not known. */
  private static ArtifactType typeOf(
      Object value, Map<String, StepSpec> steps, Map<String, ParamSpec> params) {
    if (!(value instanceof String text)) {
      return null;
    }
    return switch (Expressions.whole(text, Expressions.find(text))) {
      case Expression.StepOutputRef ref -> {
        StepSpec target = steps.get(ref.step());
        yield target == null
            ? null
            : StepKinds.find(target.kind())
                .flatMap(k -> k.outputIn(target.body(), ref.output()))
                .map(o -> o.type())
                .orElse(null);
      }
      case Expression.ParamRef ref ->
          params.containsKey(ref.name()) ? params.get(ref.name()).type().artifactType() : null;
      case null, default -> null;
    };
  }

  private static void checkString(
      StepSpec step,
      String field,
      String path,
      String text,
      Map<String, StepSpec> steps,
      Map<String, ParamSpec> params,
      FanOut fanOut,
      Problems problems) {
    if (Expressions.hasUnterminated(text)) {
      problems.add(path, "unterminated expression: '${{' without '}}'");
    }
    for (Expressions.Match match : Expressions.find(text)) {
      String source = text.substring(match.start(), match.end());
      if (ScriptInjection.applies(step, field)) {
        ScriptInjection.check(step, path, source, match.expression(), params, problems);
      }
      switch (match.expression()) {
        case Expression.ParamRef ref -> {
          if (!params.containsKey(ref.name())) {
            problems.add(path, "unknown parameter '" + ref.name() + "'");
          }
        }
        case Expression.MatrixRef ref -> {
          // A step that follows a fan-out sees the matrix values of its origin's expansion.
          Set<String> keys = fanOut.matrixKeys(step.id());
          if (!keys.contains(ref.key())) {
            problems.add(
                path,
                "unknown matrix key '"
                    + ref.key()
                    + "'"
                    + (!keys.isEmpty()
                        ? "; expected one of " + String.join(", ", keys)
                        : "; the step has no matrix and follows none"));
          }
        }
        case Expression.StepOutputRef ref -> {
          checkStepOutput(path, ref, steps, problems);
          if (ref.all() && steps.containsKey(ref.step()) && !fanOut.fansOut(ref.step())) {
            problems.add(
                path,
                "[*] takes every expansion's output, and step '"
                    + ref.step()
                    + "' does not fan out (it has no matrix and follows none); write ${{ steps."
                    + ref.step()
                    + ".outputs."
                    + ref.output()
                    + " }}");
          }
        }
        case Expression.InputsRef ref -> {
          boolean hasInputsField =
              StepKinds.find(step.kind()).map(k -> k.fields().containsKey("inputs")).orElse(true);
          if (!hasInputsField) {
            problems.add(
                path,
                source + " needs an inputs field, which kind '" + step.kind() + "' does not have");
          } else if (field.equals("inputs")) {
            problems.add(path, source + " cannot be used inside inputs itself");
          }
        }
        case Expression.Unknown unknown ->
            problems.add(
                path,
                "unknown expression '"
                    + source
                    + "'; expected params.NAME, matrix.KEY, steps.ID.outputs.NAME, steps.ID.outputs.NAME[*] or inputs");
      }
    }
  }

  private static void checkStepOutput(
      String path, Expression.StepOutputRef ref, Map<String, StepSpec> steps, Problems problems) {
    StepSpec target = steps.get(ref.step());
    if (target == null) {
      problems.add(path, "unknown step '" + ref.step() + "'");
      return;
    }
    Optional<StepKind> kind = StepKinds.find(target.kind());
    if (kind.isPresent() && kind.get().outputIn(target.body(), ref.output()).isEmpty()) {
      // Only the outputs this step has: an sft step with adapter: has `adapter`, not `model`.
      List<String> outputs =
          kind.get().outputsIn(target.body()).stream().map(o -> o.name()).toList();
      String condition =
          kind.get().output(ref.output()).map(o -> " (only " + o.condition() + ")").orElse("");
      problems.add(
          path,
          "step '"
              + ref.step()
              + "' (kind "
              + target.kind()
              + ") has no output '"
              + ref.output()
              + "'"
              + condition
              + "; "
              + (outputs.isEmpty()
                  ? "it produces no outputs"
                  : "it produces: " + String.join(", ", outputs)));
    }
  }

  /**
   * Depth-first search; each back edge closes one cycle, reported once whatever step it is entered
   * from.
   */
  private static void reportCycles(
      List<StepSpec> steps, Map<String, StepSpec> byId, Problems problems) {
    Map<String, Integer> state = new HashMap<>(); // absent: unvisited, 1: on the stack, 2: done
    Set<Set<String>> reported = new HashSet<>();
    for (StepSpec step : steps) {
      visit(step.id(), byId, state, new ArrayList<>(), reported, problems);
    }
  }

  private static void visit(
      String id,
      Map<String, StepSpec> byId,
      Map<String, Integer> state,
      List<String> stack,
      Set<Set<String>> reported,
      Problems problems) {
    Integer current = state.get(id);
    if (current != null) {
      if (current == 1) {
        List<String> cycle = new ArrayList<>(stack.subList(stack.indexOf(id), stack.size()));
        if (reported.add(Set.copyOf(cycle))) {
          cycle.add(id);
          problems.add("steps", "dependency cycle " + String.join(" -> ", cycle));
        }
      }
      return;
    }
    state.put(id, 1);
    stack.add(id);
    for (String dependency : byId.get(id).dependencies()) {
      if (byId.containsKey(dependency)) {
        visit(dependency, byId, state, stack, reported, problems);
      }
    }
    stack.remove(stack.size() - 1);
    state.put(id, 2);
  }
}
