package dev.trainyard.pipeline.spec;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses step timeouts: seconds as a number, or text such as {@code 90s}, {@code 10m}, {@code
 * 1h30m}.
 */
public final class Durations {
  private Durations() {}

  private static final Pattern TEXT =
      Pattern.compile("(?:(\\d+)h)?\\s*(?:(\\d+)m)?\\s*(?:(\\d+)s)?");

  public static final String FORMAT_HINT =
      "expected seconds or a duration such as 90s, 10m, 2h or 1h30m";

  /**
   * Seconds, or empty when the text is not a duration. Zero is returned as is; callers reject it.
   */
  public static OptionalLong parseSeconds(String text) {
    String trimmed = text.strip();
    if (trimmed.isEmpty()) {
      return OptionalLong.empty();
    }
    if (trimmed.chars().allMatch(Character::isDigit)) {
      return parseLong(trimmed, 1);
    }
    Matcher m = TEXT.matcher(trimmed);
    if (!m.matches()) {
      return OptionalLong.empty();
    }
    try {
      long seconds = 0;
      seconds = Math.addExact(seconds, part(m.group(1), 3600));
      seconds = Math.addExact(seconds, part(m.group(2), 60));
      seconds = Math.addExact(seconds, part(m.group(3), 1));
      return OptionalLong.of(seconds);
    } catch (ArithmeticException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  private static long part(String digits, long unit) {
    return digits == null ? 0 : Math.multiplyExact(Long.parseLong(digits), unit);
  }

  private static OptionalLong parseLong(String digits, long unit) {
    try {
      return OptionalLong.of(Math.multiplyExact(Long.parseLong(digits), unit));
    } catch (ArithmeticException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }
}
