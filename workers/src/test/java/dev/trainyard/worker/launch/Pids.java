package dev.trainyard.worker.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Test helpers for steps that write their process ids to a file: wait for them, ask if they live.
 */
public final class Pids {
  private Pids() {}

  /**
   * The pids listed in {@code file}, once the step has written it (fails after {@code timeout}).
   */
  public static List<Long> await(Path file, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!Files.exists(file)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("step did not start: no " + file + " after " + timeout);
      }
      Thread.sleep(20);
    }
    return Files.readAllLines(file).stream()
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .map(Long::parseLong)
        .toList();
  }

  /** Alive and not a zombie (a zombie is dead, merely not yet reaped by its new parent). */
  public static boolean isRunning(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Host pids of live processes whose command line has {@code argument} as one of its words. A step
   * in a PID namespace sees only its own numbering, so tests find its processes by a unique
   * argument.
   */
  public static List<Long> withArgument(String argument) {
    try (var procs = Files.list(Path.of("/proc"))) {
      return procs
          .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .filter(
              p -> {
                try {
                  return List.of(Files.readString(p.resolve("cmdline")).split("\0"))
                          .contains(argument)
                      && isRunning(Long.parseLong(p.getFileName().toString()));
                } catch (IOException | RuntimeException gone) {
                  return false;
                }
              })
          .map(p -> Long.parseLong(p.getFileName().toString()))
          .toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * A unique {@code sleep} duration of about {@code seconds}: the argument {@link #withArgument}
   * finds.
   */
  public static String uniqueSleep(int seconds) {
    return seconds + "." + (System.nanoTime() % 1_000_000_000L);
  }

  /**
   * Waits until {@code count} processes run with {@code argument} (see {@link #withArgument});
   * their pids.
   */
  public static List<Long> awaitWithArgument(String argument, int count, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Long> found = withArgument(argument);
    while (found.size() < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            count + " processes with argument " + argument + " expected, found " + found);
      }
      Thread.sleep(20);
      found = withArgument(argument);
    }
    return found;
  }
}
