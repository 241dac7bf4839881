package dev.trainyard.pipeline.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds and parses {@code ${{ ... }}} expressions in strings. */
public final class Expressions {
  private Expressions() {}

  private static final Pattern EXPRESSION = Pattern.compile("\\$\\{\\{(.*?)}}", Pattern.DOTALL);
  private static final Pattern PARAM = Pattern.compile("params\\.([A-Za-z_][A-Za-z0-9_]*)");
  private static final Pattern MATRIX = Pattern.compile("matrix\\.([A-Za-z_][A-Za-z0-9_]*)");
  private static final Pattern STEP_OUTPUT =
      Pattern.compile("steps\\.([A-Za-z0-9_-]+)\\.outputs\\.([A-Za-z0-9_-]+)(\\[\\*])?");

  /** One occurrence: {@code text.substring(start, end)} is the whole {@code ${{ ... }}}. */
  public record Match(int start, int end, Expression expression) {}

  public static List<Match> find(String text) {
    var matches = new ArrayList<Match>();
    Matcher matcher = EXPRESSION.matcher(text);
    while (matcher.find()) {
      matches.add(new Match(matcher.start(), matcher.end(), parse(matcher.group(1).strip())));
    }
    return matches;
  }

  /** Whether a {@code ${{} opens without closing, which would otherwise pass through silently. */
  public static boolean hasUnterminated(String text) {
    return EXPRESSION.matcher(text).replaceAll("").contains("${{");
  }

  /**
   * The expression when the string is exactly one expression (then it may stand for a typed value).
   */
  public static Expression whole(String text, List<Match> matches) {
    if (matches.size() == 1
        && matches.get(0).start() == 0
        && matches.get(0).end() == text.length()) {
      return matches.get(0).expression();
    }
    return null;
  }

  public static Expression parse(String inner) {
    Matcher m;
    if ((m = PARAM.matcher(inner)).matches()) {
      return new Expression.ParamRef(m.group(1));
    }
    if ((m = MATRIX.matcher(inner)).matches()) {
      return new Expression.MatrixRef(m.group(1));
    }
    if ((m = STEP_OUTPUT.matcher(inner)).matches()) {
      return new Expression.StepOutputRef(m.group(1), m.group(2), m.group(3) != null);
    }
    if (inner.equals("inputs")) {
      return new Expression.InputsRef();
    }
    return new Expression.Unknown(inner);
  }

  private static final Pattern INPUT_TOKEN =
      Pattern.compile("\\$\\{\\{\\s*inputs\\.([A-Za-z0-9._-]+)\\s*}}");

  /**
   * The input a planned body's token names ({@code ${{ inputs.NAME }}} → NAME); empty for anything
   * else.
   */
  public static java.util.Optional<String> inputName(Object token) {
    Matcher m;
    return token instanceof String text && (m = INPUT_TOKEN.matcher(text.strip())).matches()
        ? java.util.Optional.of(m.group(1))
        : java.util.Optional.empty();
  }

  /** The placeholder the worker resolves to a local path of input {@code name}. */
  public static String inputToken(String name) {
    return "${{ inputs." + name + " }}";
  }
}
