package dev.trainyard.cli;

import java.io.Console;
import java.io.PrintWriter;

/** A one-line progress bar on stderr, drawn only when the terminal is interactive. */
final class Progress {
  private final PrintWriter err;
  private final boolean enabled;
  private long lastDraw;
  private boolean drawn;

  Progress(PrintWriter err, boolean enabled) {
    this.err = err;
    this.enabled = enabled;
  }

  /**
   * Whether stdin/stdout are a terminal (Java cannot ask about stderr alone). On Java 22+ {@code
   * System.console()} exists for pipes too, so its {@code isTerminal()} decides.
   */
  static boolean interactive() {
    Console console = System.console();
    if (console == null || "dumb".equals(System.getenv("TERM"))) {
      return false;
    }
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  /** The bar for {@code done} of {@code total} (total 0: unknown), at most ten times a second. */
  void update(long done, long total, String label) {
    if (!enabled) {
      return;
    }
    long now = System.nanoTime();
    if (drawn && now - lastDraw < 100_000_000L && done < total) {
      return;
    }
    lastDraw = now;
    drawn = true;
    err.print("\r" + bar(done, total, label) + "\033[K");
    err.flush();
  }

  /** Clears the bar's line, so that the next output starts on a clean line. */
  void clear() {
    if (enabled && drawn) {
      err.print("\r\033[K");
      err.flush();
      drawn = false;
    }
  }

  static String bar(long done, long total, String label) {
    int width = 30;
    int filled = total <= 0 ? 0 : (int) Math.min(width, done * width / total);
    String pct = total <= 0 ? "" : String.format(" %3d%%", done * 100 / total);
    return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]" + pct + " " + label;
  }
}
