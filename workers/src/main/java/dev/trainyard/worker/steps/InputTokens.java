package dev.trainyard.worker.steps;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Replaces {@code ${{ inputs.NAME }}} tokens of a step body with the input's absolute path. */
public final class InputTokens {
  private static final Pattern TOKEN =
      Pattern.compile("\\$\\{\\{\\s*inputs\\.([A-Za-z0-9._-]+)\\s*}}");

  private final Map<String, Path> inputs;

  public InputTokens(Map<String, Path> inputs) {
    this.inputs = Map.copyOf(inputs);
  }

  /** Substitutes every token in {@code text}. */
  public String substitute(String text) {
    Matcher m = TOKEN.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(pathOf(m.group(1)).toString()));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * A body value as one string: a string is substituted; a list (e.g. {@code run: [python,
   * train.py, --data, ${{ inputs.x }}]}) has each element substituted and joins them with spaces,
   * shell-quoted when {@code shellQuote} so that a path with spaces stays one argument.
   */
  public String render(Object value, boolean shellQuote) {
    if (value instanceof List<?> list) {
      List<String> parts = new ArrayList<>(list.size());
      for (Object element : list) {
        String s = substitute(String.valueOf(element));
        parts.add(shellQuote ? ShellQuoting.quote(s) : s);
      }
      return String.join(" ", parts);
    }
    return substitute(String.valueOf(value));
  }

  /**
   * A copy of a JSON-like tree (maps, lists, scalars) with tokens in every string substituted —
   * what {@code step.json} carries, so a trainer reads paths rather than tokens.
   */
  public Object substituteTree(Object value) {
    if (value instanceof String s) {
      return substitute(s);
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> copy = new java.util.LinkedHashMap<>();
      map.forEach((k, v) -> copy.put(String.valueOf(k), substituteTree(v)));
      return copy;
    }
    if (value instanceof List<?> list) {
      List<Object> copy = new ArrayList<>(list.size());
      list.forEach(v -> copy.add(substituteTree(v)));
      return copy;
    }
    return value;
  }

  /** Names of the inputs {@code text} refers to. */
  public static TreeSet<String> referencedNames(String text) {
    TreeSet<String> names = new TreeSet<>();
    Matcher m = TOKEN.matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  private Path pathOf(String name) {
    Path path = inputs.get(name);
    if (path == null) {
      throw new UnknownInputException(name, new TreeSet<>(inputs.keySet()));
    }
    return path;
  }

  /** A token naming an input the task did not bind: a planner bug or a hand-written body. */
  public static final class UnknownInputException extends IllegalArgumentException {
    UnknownInputException(String name, TreeSet<String> known) {
      super("step refers to ${{ inputs." + name + " }} but its inputs are " + known);
    }
  }
}
