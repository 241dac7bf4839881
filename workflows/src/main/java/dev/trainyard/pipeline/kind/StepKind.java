package dev.trainyard.pipeline.kind;

import dev.trainyard.workflow.FailureType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one definition of a step kind, read by the validator, the planner, the workflow, the cache
 * key, template approval, retention, the evals query, the worker's runner registry, the launch form
 * and the docs. Adding a kind means adding one of these to {@link StepKinds}, its runner and its
 * tests.
 *
 * @param fields the kind-specific top-level fields (the common ones are in {@link
 *     StepKinds#COMMON_FIELDS})
 * @param outputs what {@code ${{ steps.ID.outputs.NAME }}} may name, with artifact types
 * @param cacheable whether a result may be reused for the same kind, body and inputs (not for
 *     approvals or alias moves: they act on the world, not on their inputs)
 * @param runsUserCode whether a template containing it needs an admin's approval
 * @param failures the failure types its executor raises
 * @param defaultAttempts attempts (first included) when the spec sets no {@code retry.max_attempts}
 * @param resumable whether an attempt continues from an earlier attempt's intermediate checkpoint
 *     (and may span several GPUs of one host)
 * @param runner settings its runner reads from {@code step.json} instead of branching on the name
 *     (e.g. the trainer's objective)
 * @param inputRole the lineage role of every input, or null for {@code input:<field>}
 * @param shellField a field holding a shell command line, or null; parameters and input paths reach
 *     it only as environment variables (validation refuses them as its text)
 * @param example a complete step in YAML, for the docs and the template editor
 * @param checks rules across fields, beyond each field's own schema
 */
public record StepKind(
    String name,
    String description,
    Execution execution,
    Map<String, StepField> fields,
    List<Output> outputs,
    boolean cacheable,
    boolean runsUserCode,
    List<FailureType> failures,
    int defaultAttempts,
    boolean resumable,
    Map<String, Object> runner,
    String inputRole,
    String shellField,
    String example,
    List<StepCheck> checks) {
  public StepKind {
    checks = List.copyOf(checks);
    fields = Kinds.ordered(fields);
    outputs = List.copyOf(outputs);
    failures = List.copyOf(failures);
    runner = Kinds.ordered(runner);
  }

  public static Builder builder(String name, Execution execution) {
    return new Builder(name, execution);
  }

  /** Allowed {@code config:} keys; empty when the kind takes no config. */
  public Map<String, ConfigKey> configKeys() {
    StepField config = fields.get("config");
    return config == null ? Map.of() : config.entries();
  }

  public List<String> outputNames() {
    return outputs.stream().map(Output::name).toList();
  }

  public Optional<Output> output(String name) {
    return outputs.stream().filter(o -> o.name().equals(name)).findFirst();
  }

  /**
   * The outputs a step with this body has (e.g. {@code adapter}, not {@code model}, for an {@code
   * sft} step with {@code adapter:}), each typed as the body chooses.
   */
  public List<Output> outputsIn(Map<String, ?> body) {
    return outputs.stream()
        .filter(o -> o.existsIn(body))
        .map(o -> new Output(o.name(), o.typeIn(body), null))
        .toList();
  }

  /** The output {@code name} of a step with this body, typed; empty when the step has none. */
  public Optional<Output> outputIn(Map<String, ?> body, String name) {
    return outputsIn(body).stream().filter(o -> o.name().equals(name)).findFirst();
  }

  /** Whether it produces an artifact of {@code type} (e.g. which kinds write eval reports). */
  public boolean produces(ArtifactType type) {
    return outputs.stream().anyMatch(o -> o.type() == type);
  }

  /** The lineage edge role of an artifact read through {@code field}. */
  public String inputRoleOf(String field) {
    return inputRole != null ? inputRole : "input:" + field;
  }

  /** This kind as a plain Map/List tree (JSON-serialisable). */
  public Map<String, Object> describe() {
    var map = new LinkedHashMap<String, Object>();
    map.put("name", name);
    map.put("description", description);
    map.put("execution", execution.name());
    map.put("fields", describeAll(fields));
    map.put("outputs", outputNames());
    map.put(
        "outputTypes",
        outputs.stream()
            .map(
                o -> {
                  var output = new LinkedHashMap<String, Object>();
                  output.put("name", o.name());
                  output.put("type", o.type().wireName());
                  if (o.condition() != null) {
                    output.put("when", o.condition());
                  }
                  return output;
                })
            .toList());
    map.put("cacheable", cacheable);
    map.put("runsUserCode", runsUserCode);
    map.put("failures", failures.stream().map(FailureType::wireName).toList());
    map.put("defaultAttempts", defaultAttempts);
    if (example != null) {
      map.put("example", example);
    }
    return map;
  }

  static List<Map<String, Object>> describeAll(Map<String, ? extends ValueSchema> schemas) {
    var list = new ArrayList<Map<String, Object>>();
    for (ValueSchema schema : schemas.values()) {
      list.add(describe(schema));
    }
    return list;
  }

  static Map<String, Object> describe(ValueSchema schema) {
    var map = new LinkedHashMap<String, Object>();
    map.put("name", schema.name());
    map.put("type", schema.type().label());
    map.put("required", schema.required());
    if (!schema.constraint().isNone()) {
      map.put("constraint", schema.constraint().describe());
    }
    if (!schema.accepts().isEmpty()) {
      map.put("accepts", schema.accepts().stream().map(ArtifactType::wireName).toList());
    }
    if (schema.defaultValue() instanceof ValueSchema.Derived derived) {
      map.put("default", derived.rule());
    } else if (schema.defaultValue() != null) {
      map.put("default", schema.defaultValue());
    }
    if (!schema.entries().isEmpty()) {
      map.put("entries", describeAll(schema.entries()));
    }
    if (schema.description() != null) {
      map.put("description", schema.description());
    }
    return map;
  }

  /** Builds a kind; fields, outputs and failures are listed in the order users read them. */
  public static final class Builder {
    private final String name;
    private final Execution execution;
    private String description;
    private final Map<String, StepField> fields = new LinkedHashMap<>();
    private final List<Output> outputs = new ArrayList<>();
    private boolean cacheable = true;
    private boolean runsUserCode;
    private final List<FailureType> failures = new ArrayList<>();
    private int defaultAttempts = 1;
    private boolean resumable;
    private final Map<String, Object> runner = new LinkedHashMap<>();
    private String inputRole;
    private String shellField;
    private String example;
    private final List<StepCheck> checks = new ArrayList<>();

    private Builder(String name, Execution execution) {
      this.name = name;
      this.execution = execution;
    }

    public Builder description(String text) {
      this.description = text;
      return this;
    }

    public Builder field(StepField field) {
      fields.put(field.name(), field);
      return this;
    }

    public Builder output(String outputName, ArtifactType type) {
      outputs.add(Output.of(outputName, type));
      return this;
    }

    public Builder output(Output output) {
      outputs.add(output);
      return this;
    }

    public Builder notCacheable() {
      this.cacheable = false;
      return this;
    }

    public Builder runsUserCode() {
      this.runsUserCode = true;
      return this;
    }

    public Builder failures(List<FailureType> types) {
      types.stream().filter(t -> !failures.contains(t)).forEach(failures::add);
      return this;
    }

    public Builder defaultAttempts(int attempts) {
      this.defaultAttempts = attempts;
      return this;
    }

    public Builder resumable() {
      this.resumable = true;
      return this;
    }

    public Builder runner(String key, Object value) {
      runner.put(key, value);
      return this;
    }

    public Builder inputRole(String role) {
      this.inputRole = role;
      return this;
    }

    public Builder shellField(String field) {
      this.shellField = field;
      return this;
    }

    public Builder example(String yaml) {
      this.example = yaml;
      return this;
    }

    /** Adds a part several kinds share (e.g. the adapter field and outputs of sft and dpo). */
    public Builder apply(java.util.function.UnaryOperator<Builder> part) {
      return part.apply(this);
    }

    public Builder check(StepCheck check) {
      checks.add(check);
      return this;
    }

    public StepKind build() {
      return new StepKind(
          name,
          description,
          execution,
          fields,
          outputs,
          cacheable,
          runsUserCode,
          failures,
          defaultAttempts,
          resumable,
          runner,
          inputRole,
          shellField,
          example,
          checks);
    }
  }
}
