package dev.trainyard.worker.tensor.merge;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A parameter that may differ per tensor, as in mergekit: a number, or a list of {@code {filter:
 * "self_attn", value: 0.3}} entries where the first entry whose filter occurs in the tensor name
 * wins and an entry without filter is the fallback.
 */
public final class Param {
  private record Rule(String filter, double value) {}

  private final String name;
  private final List<Rule> rules;

  private Param(String name, List<Rule> rules) {
    this.name = name;
    this.rules = rules;
  }

  public static Param constant(String name, double value) {
    return new Param(name, List.of(new Rule(null, value)));
  }

  /** Parses a config value; {@code null} when absent. */
  public static Param parse(String name, Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof Number n) {
      return constant(name, n.doubleValue());
    }
    if (value instanceof List<?> list) {
      List<Rule> rules = new ArrayList<>();
      for (Object o : list) {
        if (!(o instanceof Map<?, ?> m) || !(m.get("value") instanceof Number v)) {
          throw new IllegalArgumentException(
              name + ": each entry must be {filter: text, value: number}, got " + o);
        }
        Object filter = m.get("filter");
        rules.add(new Rule(filter == null ? null : String.valueOf(filter), v.doubleValue()));
      }
      return new Param(name, List.copyOf(rules));
    }
    throw new IllegalArgumentException(
        name + ": must be a number or a list of {filter, value}, got " + value);
  }

  /** The value for one tensor, or {@code fallback} when no rule matches. */
  public double valueFor(String tensorName, double fallback) {
    for (Rule r : rules) {
      if (r.filter == null || tensorName.contains(r.filter)) {
        return r.value;
      }
    }
    return fallback;
  }

  /** Every value it can take, for range checks before work starts. */
  public List<Double> values() {
    return rules.stream().map(Rule::value).toList();
  }

  public String name() {
    return name;
  }
}
