package dev.trainyard.worker.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * What a step process runs inside, so that it cannot outlive its step or touch the artifact store.
 *
 * <p>Where the host allows it (Linux, root or user namespaces), the step is the child of a fresh
 * PID and mount namespace ({@code unshare --pid --fork --kill-child --mount}): when the step's
 * shell ends, the kernel kills everything left in the namespace, {@code setsid}/{@code nohup}
 * descendants included, and the worker sees the attempt finish only after that. In the same
 * namespace the store's directories are bind-mounted read-only, and the step runs with every
 * capability dropped and no new privileges ({@code setpriv}), so even a root step can neither write
 * the store nor undo the mount. The namespace's init is a small shell that forwards SIGTERM to the
 * step (an init with no handler would ignore it).
 *
 * <p>Elsewhere the step runs in its own session and process group only ({@link #NONE}): a cancel
 * still kills the group, but a child that calls setsid escapes it, and a step can write what the
 * worker's uid can. {@link #detect} says which one applies, once, in the worker's log. cgroup v2's
 * {@code cgroup.kill} would also catch escapees, but it needs a delegated cgroup per step, which
 * this host (no controllers enabled) and most containers do not offer; the PID namespace needs
 * neither.
 */
public final class StepSandbox {
  private static final Logger LOG = Logger.getLogger(StepSandbox.class.getName());

  /**
   * The namespace's init: read-only binds, then the step without capabilities, forwarding SIGTERM.
   * Its stdin is a pipe the worker holds open: end of file means the worker died (even by SIGKILL),
   * and then everything in the namespace is killed, so no orphan keeps a GPU busy.
   */
  private static final String INIT =
      """
      cmd=$1; shift
      for p do mount --bind "$p" "$p" && mount -o remount,bind,ro "$p" || { echo "trainyard: cannot make $p read-only" >&2; exit 125; }; done
      exec 3<&0
      { trap '' TERM INT HUP; cat <&3 > /dev/null; echo "trainyard: the worker that started this step is gone; stopping" >&2; kill -KILL -1; } &
      umask 077
      setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all --no-new-privs -- bash -c "$cmd" < /dev/null 3<&- &
      child=$!
      trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
      while :; do wait "$child"; s=$?; kill -0 "$child" 2>/dev/null || exit "$s"; done
      """;

  /** No namespace: bash in the process group {@link StepProcess} starts. */
  public static final StepSandbox NONE = new StepSandbox(false, List.of());

  /**
   * Probe outcomes by the directories to protect: whether a bind mount works depends on their file
   * system.
   */
  private static final Map<List<Path>, Boolean> PROBED = new ConcurrentHashMap<>();

  private final boolean namespaces;
  private final List<Path> readOnly;

  private StepSandbox(boolean namespaces, List<Path> readOnly) {
    this.namespaces = namespaces;
    this.readOnly = List.copyOf(readOnly);
  }

  /**
   * The strongest sandbox this host offers, with {@code readOnly} (existing directories: the store)
   * mounted read-only for the step. Probed once per worker process and set of directories, with
   * those very directories (the binds exist only inside the probe's namespace); the outcome is
   * logged.
   */
  public static StepSandbox detect(List<Path> readOnly) {
    return PROBED.computeIfAbsent(List.copyOf(readOnly), StepSandbox::probe)
        ? new StepSandbox(true, readOnly)
        : NONE;
  }

  /** Whether steps end with their whole namespace and see the store read-only. */
  public boolean contained() {
    return namespaces;
  }

  /** The argv that runs {@code command} inside this sandbox. */
  List<String> argv(String command) {
    if (!namespaces) {
      return List.of("bash", "-c", command);
    }
    List<String> argv = new ArrayList<>(List.of(unshareCommand()));
    argv.addAll(List.of("sh", "-c", INIT, "trainyard-step-init", command));
    readOnly.forEach(p -> argv.add(p.toString()));
    return argv;
  }

  private static String[] unshareCommand() {
    List<String> argv = new ArrayList<>(List.of("unshare"));
    if (!isRoot()) {
      // Without root, a user namespace grants the mount and PID namespaces; the step stays this uid
      // outside.
      argv.addAll(List.of("--user", "--map-root-user"));
    }
    argv.addAll(
        List.of(
            "--pid",
            "--fork",
            "--kill-child",
            "--mount",
            "--propagation",
            "private",
            "--mount-proc"));
    return argv.toArray(String[]::new);
  }

  /**
   * Runs a real command through the sandbox, with a scratch dir bound read-only: it works here, or
   * it does not.
   */
  private static boolean probe(List<Path> readOnly) {
    String why;
    try {
      Path scratch = Files.createTempDirectory("trainyard-sandbox-probe");
      try {
        List<Path> binds = new ArrayList<>(readOnly);
        binds.add(scratch);
        List<String> argv =
            new StepSandbox(true, binds).argv("! touch '" + scratch + "/x' 2>/dev/null");
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        boolean exited = p.waitFor(10, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes()).strip();
        if (exited && p.exitValue() == 0) {
          LOG.info(
              "step sandbox: each step runs in its own PID and mount namespace without capabilities; "
                  + "the store is read-only to it and nothing it starts outlives it");
          return true;
        }
        if (!exited) {
          p.destroyForcibly();
        }
        why =
            exited
                ? "exit " + p.exitValue() + (out.isEmpty() ? "" : ": " + out)
                : "no answer in 10 s";
      } finally {
        Files.deleteIfExists(scratch.resolve("x"));
        Files.deleteIfExists(scratch);
      }
    } catch (IOException e) {
      why = e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      why = "interrupted";
    }
    LOG.warning(
        "step sandbox unavailable (unshare/setpriv: "
            + why
            + "): steps run in a process group only, so a "
            + "child that calls setsid can outlive its step, and a step can write wherever this worker's user can, "
            + "the artifact store included");
    return false;
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
