package dev.trainyard.worker.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A step's shell command running in its own session and process group, so that everything it starts
 * — torchrun and its ranks, data loader workers, a stray {@code &} — can be stopped together.
 * Output (stdout and stderr, interleaved as written) is appended to a log file.
 */
public final class StepProcess {
  /** Variables of this process that name its own secrets (Quarkus and Trainyard settings only). */
  static final java.util.regex.Pattern OWN_SECRET_VARIABLE =
      java.util.regex.Pattern.compile(
          "(QUARKUS|TRAINYARD)_\\w*(PASSWORD|SECRET|HMAC_KEY|PRIVATE_KEY|CREDENTIALS|API_KEY)\\w*");

  public static final Duration DEFAULT_TERMINATION_GRACE = Duration.ofSeconds(10);
  private static final String SETSID = "/usr/bin/setsid";
  private static final Duration POLL = Duration.ofMillis(100);

  private final Process process;
  private final long processGroup;
  private final Duration terminationGrace;
  private volatile boolean cancelled;

  private StepProcess(Process process, Duration terminationGrace) {
    this.process = process;
    // setsid(1) calls setsid(2) itself when it is not a group leader — true for a fresh child of
    // the
    // JVM — so the shell keeps setsid's pid and that pid names the new session and process group.
    this.processGroup = process.pid();
    this.terminationGrace = terminationGrace;
  }

  /**
   * Starts {@code bash -c command} in {@code workDir} with the worker's environment plus {@code
   * env}.
   *
   * @param logFile created if missing; appended to, so retries in the same dir keep earlier output
   */
  public static StepProcess start(
      String command,
      Path workDir,
      Map<String, String> env,
      Path logFile,
      Duration terminationGrace)
      throws IOException {
    return start(command, workDir, env, logFile, terminationGrace, StepSandbox.NONE);
  }

  /** As above, inside {@code sandbox} (see {@link StepSandbox}: namespaces, a read-only store). */
  public static StepProcess start(
      String command,
      Path workDir,
      Map<String, String> env,
      Path logFile,
      Duration terminationGrace,
      StepSandbox sandbox)
      throws IOException {
    Files.createDirectories(logFile.toAbsolutePath().getParent());
    List<String> argv = new java.util.ArrayList<>(List.of(setsid()));
    argv.addAll(sandbox.argv(command, workDir));
    ProcessBuilder builder =
        new ProcessBuilder(argv)
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
            // In a sandbox, stdin is the worker's lifeline (see StepSandbox); the step itself reads
            // /dev/null.
            .redirectInput(
                sandbox.contained()
                    ? ProcessBuilder.Redirect.PIPE
                    : ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    // The backend's and worker's own secrets given as variables (QUARKUS_DATASOURCE_PASSWORD,
    // TRAINYARD_AUDIT_HMAC_KEY, …) are not the step's; the step's own env (the spec's) is set
    // after.
    builder.environment().keySet().removeIf(name -> OWN_SECRET_VARIABLE.matcher(name).matches());
    builder.environment().putAll(env);
    return new StepProcess(builder.start(), terminationGrace);
  }

  public static StepProcess start(
      String command, Path workDir, Map<String, String> env, Path logFile) throws IOException {
    return start(command, workDir, env, logFile, DEFAULT_TERMINATION_GRACE);
  }

  private static String setsid() {
    return Files.isExecutable(Path.of(SETSID)) ? SETSID : "setsid";
  }

  public long pid() {
    return process.pid();
  }

  public long processGroup() {
    return processGroup;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Whether {@link #cancel()} was called: a non-zero exit is then our doing, not the step's. */
  public boolean wasCancelled() {
    return cancelled;
  }

  /** Waits up to {@code timeout} for the shell to exit; its exit code, or empty while it runs. */
  public Optional<Integer> waitFor(Duration timeout) throws InterruptedException {
    if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      return Optional.of(process.exitValue());
    }
    return Optional.empty();
  }

  public int waitFor() throws InterruptedException {
    return process.waitFor();
  }

  /**
   * Stops the whole process group: SIGTERM, then SIGKILL to whatever is left after the grace
   * period. Blocks until the group is gone (or SIGKILL was sent). Safe to call more than once and
   * after exit: a shell that has exited may still have left children running in its group.
   */
  public void cancel() {
    // Cancelling often happens on an interrupted thread (worker shutdown); the grace period must
    // still be waited out, so the flag is set aside and restored at the end.
    boolean interrupted = Thread.interrupted();
    try {
      terminateGroup();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void terminateGroup() {
    cancelled = true;
    // Remember the tree now: once the shell dies its children are re-parented and lose the link.
    List<ProcessHandle> descendants = process.descendants().toList();
    signalGroup("TERM");
    descendants.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + terminationGrace.toNanos();
    while (System.nanoTime() < deadline && anyAlive(descendants)) {
      sleepQuietly(POLL);
    }
    if (anyAlive(descendants)) {
      signalGroup("KILL");
      descendants.forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      // SIGKILL is delivered at once but dying takes a moment; callers expect the tree gone on
      // return.
      long killDeadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      while (System.nanoTime() < killDeadline && anyAlive(descendants)) {
        sleepQuietly(Duration.ofMillis(10));
      }
    }
    // Reap the shell; children re-parented to init are reaped there.
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      process.destroyForcibly();
    }
  }

  private boolean anyAlive(List<ProcessHandle> descendants) {
    return process.isAlive()
        || groupExists()
        || descendants.stream().anyMatch(ProcessHandle::isAlive);
  }

  /** Whether any process (zombies aside) is still in the step's process group. */
  private boolean groupExists() {
    try (var procs = Files.list(Path.of("/proc"))) {
      return procs.anyMatch(p -> isLiveMemberOfGroup(p));
    } catch (IOException e) {
      return false;
    }
  }

  private boolean isLiveMemberOfGroup(Path procDir) {
    String name = procDir.getFileName().toString();
    if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
      return false;
    }
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may contain spaces and
      // parentheses.
      String stat = Files.readString(procDir.resolve("stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return !fields[0].equals("Z") && Long.parseLong(fields[2]) == processGroup;
    } catch (IOException | RuntimeException e) {
      return false; // exited while we looked
    }
  }

  private void signalGroup(String signal) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, "--", "-" + processGroup)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      kill.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly(); // no kill(1), or no time to wait for it: at least the shell goes
    }
  }

  private static void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      // cancel() restores the interrupt once the group is gone
    }
  }
}
