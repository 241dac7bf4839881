package dev.trainyard.worker.steps;

import java.util.regex.Pattern;

/** POSIX shell single-quoting, for arguments that must reach the command unchanged. */
final class ShellQuoting {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

  private ShellQuoting() {}

  static String quote(String s) {
    if (PLAIN.matcher(s).matches()) {
      return s;
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
