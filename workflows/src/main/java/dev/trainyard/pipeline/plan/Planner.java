package dev.trainyard.pipeline.plan;

import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.spec.Expression;
import dev.trainyard.pipeline.spec.Expressions;
import dev.trainyard.pipeline.spec.ParamSpec;
import dev.trainyard.pipeline.spec.PipelineSpec;
import dev.trainyard.pipeline.spec.Processes;
import dev.trainyard.pipeline.spec.StepSpec;
import dev.trainyard.pipeline.validate.Problems;
import dev.trainyard.pipeline.validate.ValueChecker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Turns a valid spec and resolved parameter values into an {@link ExecutionPlan}: orders the steps,
 * expands matrices, substitutes values, replaces artifact references by input tokens and fills in
 * the kinds' defaults ({@link Defaults}), so each planned body is the fully resolved step.
 */
public final class Planner {
  private final PipelineSpec spec;
  private final Map<String, Object> paramValues;
  private final Map<String, ParamSpec> paramSpecs = new HashMap<>();
  private final Map<String, StepSpec> stepsById = new LinkedHashMap<>();
  private final Problems problems;
  private final FanOut fanOut;

  /**
   * @param paramValues every declared parameter's checked value (null for an absent optional one)
   */
  public Planner(PipelineSpec spec, Map<String, Object> paramValues, Problems problems) {
    this.spec = spec;
    this.paramValues = paramValues;
    this.problems = problems;
    spec.params().forEach(p -> paramSpecs.put(p.name(), p));
    spec.steps().forEach(s -> stepsById.put(s.id(), s));
    this.fanOut = FanOut.of(spec.steps());
  }

  /**
   * The plan; problems found after substitution (e.g. a string parameter in an int field) go to
   * {@code problems}.
   */
  public ExecutionPlan plan() {
    var planned = new ArrayList<PlannedStep>();
    for (StepSpec step : topologicalOrder()) {
      List<String> ids = fanOut.expandedIds(step.id());
      List<Map<String, Object>> values = fanOut.matrixValues(step.id());
      for (int i = 0; i < ids.size(); i++) {
        int index = fanOut.fansOut(step.id()) ? i : -1;
        planned.add(new StepExpansion(step, ids.get(i), values.get(i), index).plan());
      }
    }
    return new ExecutionPlan(spec.name(), planned);
  }

  /** Kahn's algorithm, taking the earliest spec step among those ready so the order is stable. */
  private List<StepSpec> topologicalOrder() {
    Map<String, Set<String>> waitingOn = new HashMap<>();
    Map<String, List<StepSpec>> dependents = new HashMap<>();
    for (StepSpec step : spec.steps()) {
      var deps = new LinkedHashSet<>(step.dependencies());
      deps.retainAll(stepsById.keySet());
      waitingOn.put(step.id(), deps);
      deps.forEach(d -> dependents.computeIfAbsent(d, k -> new ArrayList<>()).add(step));
    }
    var ready = new PriorityQueue<StepSpec>((a, b) -> Integer.compare(a.index(), b.index()));
    spec.steps().stream().filter(s -> waitingOn.get(s.id()).isEmpty()).forEach(ready::add);
    var order = new ArrayList<StepSpec>();
    while (!ready.isEmpty()) {
      StepSpec next = ready.poll();
      order.add(next);
      for (StepSpec dependent : dependents.getOrDefault(next.id(), List.of())) {
        Set<String> remaining = waitingOn.get(dependent.id());
        if (remaining.remove(next.id()) && remaining.isEmpty()) {
          ready.add(dependent);
        }
      }
    }
    if (order.size() != spec.steps().size()) {
      // Validation rejects cycles before planning; reaching this means a caller skipped it.
      throw new IllegalStateException("spec has a dependency cycle");
    }
    return order;
  }

  /**
   * Cartesian product in the order the keys and values are written; one empty combination without a
   * matrix.
   */
  static List<Map<String, Object>> combinations(StepSpec step) {
    if (step.combinationCount() > StepSpec.MAX_COMBINATIONS) {
      // Validation refuses such a spec; a caller that skipped it must not get 10^8 maps built.
      throw new IllegalStateException(
          step.path() + ".matrix: more than " + StepSpec.MAX_COMBINATIONS + " combinations");
    }
    Map<String, List<Object>> matrix = step.matrix();
    List<Map<String, Object>> result = new ArrayList<>();
    result.add(new LinkedHashMap<>());
    for (var entry : matrix.entrySet()) {
      List<Map<String, Object>> next = new ArrayList<>();
      for (Map<String, Object> partial : result) {
        for (Object value : entry.getValue()) {
          var combination = new LinkedHashMap<>(partial);
          combination.put(entry.getKey(), value);
          next.add(combination);
        }
      }
      result = next;
    }
    return result;
  }

  /** One planned step: a spec step, or one combination of a matrix step. */
  private final class StepExpansion {
    private final StepSpec step;
    private final StepKind kind;
    private final String id;
    private final Map<String, Object> matrixValues;

    /** Which expansion of its fan-out this is, or -1 for a step that does not fan out. */
    private final int index;

    private final String origin;
    private final LinkedHashSet<InputBinding> inputs = new LinkedHashSet<>();
    private final LinkedHashSet<String> referencedSteps = new LinkedHashSet<>();

    /**
     * Input token → its artifact type, so a report never reaches a field that needs a checkpoint.
     */
    private final Map<String, ValueChecker.TypedInput> inputTypes = new HashMap<>();

    private String inputsText = "";

    StepExpansion(StepSpec step, String id, Map<String, Object> matrixValues, int index) {
      this.step = step;
      this.kind = StepKinds.of(step.kind());
      this.id = id;
      this.matrixValues = matrixValues;
      this.index = index;
      this.origin = fanOut.origin(step.id());
    }

    PlannedStep plan() {
      // `inputs` first: `${{ inputs }}` elsewhere in the body stands for its substituted tokens.
      Object inputsField = step.body().get("inputs");
      Object substitutedInputs =
          inputsField == null ? null : substitute(inputsField, role("inputs"));
      if (substitutedInputs != null) {
        inputsText = String.join(" ", flattenText(substitutedInputs));
      }
      var body = new LinkedHashMap<String, Object>();
      step.body()
          .forEach(
              (field, value) ->
                  body.put(
                      field,
                      field.equals("inputs") ? substitutedInputs : substitute(value, role(field))));
      FanIn.shape(kind, body);
      checkSubstituted(body);
      if (kind.shellField() != null) {
        // Values reach a shell command only as variables (validation refuses them as text of
        // `run:`).
        body.put(
            "env",
            CommandEnvironment.of(
                spec.params(), paramValues, matrixValues, substitutedInputs, body.get("env")));
      }
      Map<String, Object> resolved = Defaults.resolve(kind, body);
      var needs = new LinkedHashSet<String>();
      step.needs().forEach(need -> needs.addAll(fanOut.expandedIds(need)));
      needs.addAll(referencedSteps);
      return new PlannedStep(
          id,
          step.kind(),
          step.pool(),
          step.gpus(),
          List.copyOf(needs),
          resolved,
          List.copyOf(inputs),
          step.timeoutSeconds(),
          step.retry());
    }

    /**
     * Lineage edge role: by field ({@code input:model}), unless the kind reads its inputs
     * generically.
     */
    private String role(String field) {
      return kind.inputRoleOf(field);
    }

    private void checkSubstituted(Map<String, Object> body) {
      var checker =
          new ValueChecker(ValueChecker.Stage.PLAN, step.kind(), paramSpecs, problems, inputTypes);
      body.forEach(
          (field, value) -> {
            var schema =
                field.equals("cache") || field.equals(Processes.BODY_KEY)
                    ? StepKinds.COMMON_FIELDS.get(field)
                    : kind.fields().get(field);
            if (schema != null) {
              checker.check(step.path() + "." + field, value, schema);
            }
          });
      kind.checks()
          .forEach(
              check -> {
                check.check(body, (at, message) -> problems.add(step.path() + "." + at, message));
                check.checkTypes(
                    body,
                    value -> {
                      var input = value instanceof String token ? inputTypes.get(token) : null;
                      return input == null ? null : input.type();
                    },
                    (at, message) -> problems.add(step.path() + "." + at, message));
              });
    }

    private Object substitute(Object value, String role) {
      if (value instanceof Map<?, ?> map) {
        var copy = new LinkedHashMap<String, Object>();
        map.forEach((k, v) -> copy.put(String.valueOf(k), substitute(v, role)));
        return copy;
      }
      if (value instanceof List<?> list) {
        var copy = new ArrayList<Object>(list.size());
        list.forEach(v -> copy.add(substitute(v, role)));
        return copy;
      }
      if (value instanceof String text) {
        return substituteString(text, role);
      }
      return value;
    }

    private Object substituteString(String text, String role) {
      List<Expressions.Match> matches = Expressions.find(text);
      if (matches.isEmpty()) {
        return text;
      }
      Expression whole = Expressions.whole(text, matches);
      if (whole != null) {
        return value(whole, role);
      }
      var out = new StringBuilder();
      int last = 0;
      for (Expressions.Match match : matches) {
        out.append(text, last, match.start());
        Object value = value(match.expression(), role);
        out.append(String.join(" ", flattenText(value)));
        last = match.end();
      }
      return out.append(text.substring(last)).toString();
    }

    /** The typed value an expression stands for; artifact references become input tokens. */
    private Object value(Expression expression, String role) {
      return switch (expression) {
        case Expression.ParamRef ref -> paramValue(ref.name(), role);
        case Expression.MatrixRef ref -> matrixValues.get(ref.key());
        case Expression.StepOutputRef ref -> stepOutput(ref, role);
        case Expression.InputsRef ref -> inputsText;
        case Expression.Unknown unknown ->
            throw new IllegalStateException("unvalidated expression " + unknown.text());
      };
    }

    private Object paramValue(String name, String role) {
      Object value = paramValues.get(name);
      if (value == null || !paramSpecs.get(name).type().isArtifact()) {
        return value;
      }
      String inputName = "params." + name;
      inputs.add(InputBinding.ofArtifact(inputName, role, (String) value));
      inputTypes.put(
          Expressions.inputToken(inputName),
          new ValueChecker.TypedInput(
              paramSpecs.get(name).type().artifactType(),
              "parameter '" + name + "' (" + paramSpecs.get(name).type().yamlName() + ")"));
      return Expressions.inputToken(inputName);
    }

    /**
     * A reference to a step that fans out means every expansion of it (fan-in), except in an
     * expansion of the same fan-out, where a reference without {@code [*]} means the matching
     * expansion (follow).
     */
    private Object stepOutput(Expression.StepOutputRef ref, String role) {
      StepSpec producer = stepsById.get(ref.step());
      List<String> producerIds = fanOut.expandedIds(producer.id());
      boolean follows = !ref.all() && index >= 0 && origin.equals(fanOut.origin(producer.id()));
      if (follows) {
        producerIds = List.of(producerIds.get(index));
      }
      var tokens = new ArrayList<Object>();
      for (String producerId : producerIds) {
        String inputName = producerId + "." + ref.output();
        inputs.add(InputBinding.ofStep(inputName, role, producerId, ref.output()));
        referencedSteps.add(producerId);
        var type =
            StepKinds.of(producer.kind())
                .outputIn(producer.body(), ref.output())
                .map(o -> o.type())
                .orElse(null);
        inputTypes.put(
            Expressions.inputToken(inputName),
            new ValueChecker.TypedInput(
                type,
                "output '"
                    + ref.output()
                    + "' of step '"
                    + ref.step()
                    + "' ("
                    + producer.kind()
                    + ")"));
        tokens.add(Expressions.inputToken(inputName));
      }
      return fanOut.fansOut(producer.id()) && !follows ? tokens : tokens.get(0);
    }
  }

  /**
   * Text pieces of a value for interpolation into a string; lists and maps are flattened in order.
   */
  private static List<String> flattenText(Object value) {
    var pieces = new ArrayList<String>();
    if (value instanceof List<?> list) {
      list.forEach(item -> pieces.addAll(flattenText(item)));
    } else if (value instanceof Map<?, ?> map) {
      map.values().forEach(item -> pieces.addAll(flattenText(item)));
    } else if (value != null) {
      pieces.add(String.valueOf(value));
    }
    return pieces;
  }
}
