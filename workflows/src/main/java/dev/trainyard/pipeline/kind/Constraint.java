package dev.trainyard.pipeline.kind;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Bounds, allowed values or a pattern for one value. Kept as data (not code) so the UI and docs can
 * show the same rule the validator enforces.
 *
 * @param min lower bound or null; {@code minExclusive} makes it {@code > min} instead of {@code >=
 *     min}
 * @param max upper bound or null; {@code maxExclusive} makes it {@code < max} instead of {@code <=
 *     max}
 * @param oneOf allowed string values; empty means any
 * @param pattern a regular expression the whole string must match, or null
 */
public record Constraint(
    Double min,
    boolean minExclusive,
    Double max,
    boolean maxExclusive,
    List<String> oneOf,
    String pattern) {
  public static final Constraint NONE = new Constraint(null, false, null, false, List.of(), null);

  public Constraint {
    oneOf = List.copyOf(oneOf);
  }

  public static Constraint positive() {
    return new Constraint(0.0, true, null, false, List.of(), null);
  }

  public static Constraint atLeast(double min) {
    return new Constraint(min, false, null, false, List.of(), null);
  }

  public static Constraint between(double min, double max) {
    return new Constraint(min, false, max, false, List.of(), null);
  }

  public static Constraint oneOf(String... values) {
    return new Constraint(null, false, null, false, List.of(values), null);
  }

  public static Constraint matching(String regex) {
    return new Constraint(null, false, null, false, List.of(), regex);
  }

  public boolean isNone() {
    return equals(NONE);
  }

  /**
   * The message for a value that breaks this constraint, e.g. {@code must be > 0}; empty when it
   * holds.
   */
  public Optional<String> violation(Object value) {
    if (value instanceof Number number && (min != null || max != null)) {
      double x = number.doubleValue();
      boolean tooLow = min != null && (minExclusive ? x <= min : x < min);
      boolean tooHigh = max != null && (maxExclusive ? x >= max : x > max);
      if (tooLow || tooHigh) {
        return Optional.of("must be " + text());
      }
    }
    if (value instanceof String text) {
      if (!oneOf.isEmpty() && !oneOf.contains(text)) {
        return Optional.of("must be one of " + String.join(", ", oneOf));
      }
      if (pattern != null && !Pattern.matches(pattern, text)) {
        return Optional.of("must match " + pattern);
      }
    }
    return Optional.empty();
  }

  /** Human-readable rule, e.g. {@code > 0}, {@code >= 0 and <= 1}, {@code one of a, b}. */
  public String text() {
    var parts = new ArrayList<String>();
    if (min != null) {
      parts.add((minExclusive ? "> " : ">= ") + number(min));
    }
    if (max != null) {
      parts.add((maxExclusive ? "< " : "<= ") + number(max));
    }
    if (!oneOf.isEmpty()) {
      parts.add("one of " + String.join(", ", oneOf));
    }
    if (pattern != null) {
      parts.add("matching " + pattern);
    }
    return String.join(" and ", parts);
  }

  /** JSON-friendly description; empty map for {@link #NONE}. */
  public Map<String, Object> describe() {
    var map = new LinkedHashMap<String, Object>();
    if (min != null) {
      map.put(minExclusive ? "exclusiveMinimum" : "minimum", min);
    }
    if (max != null) {
      map.put(maxExclusive ? "exclusiveMaximum" : "maximum", max);
    }
    if (!oneOf.isEmpty()) {
      map.put("oneOf", oneOf);
    }
    if (pattern != null) {
      map.put("pattern", pattern);
    }
    if (!map.isEmpty()) {
      map.put("text", text());
    }
    return map;
  }

  private static String number(double value) {
    return value == Math.rint(value) && !Double.isInfinite(value)
        ? Long.toString((long) value)
        : Double.toString(value);
  }
}
