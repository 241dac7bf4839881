package dev.trainyard.backend.triggers;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Binds a trigger's parameters from an event: {@code ${{ event.dataset.ref }}} as a whole value
 * keeps the event's type (a version stays a number), inside a longer string it is written in. Paths
 * walk the event's data ({@code dataset}, {@code alias} or {@code run}, then its fields).
 */
public final class EventBindings {
  static final Pattern EXPRESSION = Pattern.compile("\\$\\{\\{\\s*event\\.([A-Za-z0-9_.-]+)\\s*}}");

  private EventBindings() {}

  /** A parameter whose expression names nothing in the event. */
  public static final class Unbound extends RuntimeException {
    public Unbound(String message) {
      super(message);
    }
  }

  public static Map<String, Object> bind(Map<String, Object> params, Map<String, Object> data) {
    Map<String, Object> bound = new LinkedHashMap<>();
    params.forEach((name, value) -> bound.put(name, bindValue("params." + name, value, data)));
    return bound;
  }

  private static Object bindValue(String path, Object value, Map<String, Object> data) {
    if (!(value instanceof String text)) {
      return value;
    }
    Matcher whole = EXPRESSION.matcher(text);
    if (whole.matches()) {
      return lookup(path, whole.group(1), data);
    }
    Matcher m = EXPRESSION.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(
          out, Matcher.quoteReplacement(String.valueOf(lookup(path, m.group(1), data))));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static Object lookup(String path, String expression, Map<String, Object> data) {
    Object current = data;
    for (String key : expression.split("\\.")) {
      if (!(current instanceof Map<?, ?> map) || map.get(key) == null) {
        throw new Unbound(path + ": the event has no " + expression);
      }
      current = map.get(key);
    }
    return current;
  }

  /** Every {@code event.<path>} a parameter value refers to. */
  public static List<String> references(Object value) {
    if (!(value instanceof String text)) {
      return List.of();
    }
    return EXPRESSION.matcher(text).results().map(r -> r.group(1)).toList();
  }
}
