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
   * The namespace's init. With a worker root: an empty tmpfs (the view) replaces the root, with
   * only the read-only dirs under it (the store, the trainer runtime), the step's earlier attempts
   * (read-only: a resume reads their checkpoints) and its own attempt dir (read-write) bound back;
   * the view is built on an empty mount point under the root first, as the sources are unreachable
   * once the root is covered, and then bound recursively onto the root (a move is refused in a user
   * namespace). Then the hidden paths outside the root are covered (an empty read-only tmpfs on a
   * dir, /dev/null on a file), the shell re-enters its work dir through the view (its old cwd would
   * still reach the covered root through {@code ..}), and the step runs without capabilities,
   * forwarding SIGTERM. Its stdin is a pipe the worker holds open: end of file means the worker
   * died (even by SIGKILL), and then everything in the namespace is killed, so no orphan keeps a
   * GPU busy. Each external command here is a fork and exec on every step, the largest part of a
   * step's orchestration overhead: {@code mount -o bind,ro} binds and remounts read-only in one
   * command, and paths are cut in the shell itself (no {@code dirname}, no command substitution).
   */
  private static final String INIT =
      """
      cmd=$1 root=$2 view=$3 work=$4; shift 4
      fail() { echo "trainyard: $*" >&2; exit 125; }
      ro() { mount -o bind,ro "$1" "$2"; }
      inview() { case $1 in "$root"/*) t=$view/${1#"$root"/} ;; *) t=$1 ;; esac; }
      if [ -n "$root" ]; then
        case $work in "$root"/*/*) ;; *) fail "work dir $work is not under $root" ;; esac
        mount -t tmpfs -o mode=0755,size=64k trainyard-step-view "$view" || fail "cannot mount a tmpfs on $view"
      fi
      while [ $# -gt 0 ] && [ "$1" != --hide ]; do
        p=$1; shift
        [ -n "$root" ] || [ -e "$p" ] || fail "cannot make $p read-only: it does not exist"
        [ -e "$p" ] || continue
        inview "$p"
        if [ "$t" != "$p" ]; then if [ -d "$p" ]; then mkdir -p "$t"; else mkdir -p "${t%/*}" && : > "$t"; fi; fi
        ro "$p" "$t" || fail "cannot make $p read-only"
      done
      [ "$1" = --hide ] && shift
      if [ -n "$root" ]; then
        steps=${work%/*}; inview "$steps"; steps_view=$t; inview "$work"
        mkdir -p "$steps_view" && ro "$steps" "$steps_view" && mount --bind "$work" "$t" || fail "cannot bind $work into the step's view"
        mount -o remount,bind,ro "$view" && mount --rbind "$view" "$root" || fail "cannot put the step's view on $root"
      fi
      for p do
        if [ -d "$p" ]; then mount -t tmpfs -o ro,mode=0755,size=4k trainyard-hidden "$p"
        elif [ -e "$p" ]; then mount --bind /dev/null "$p"
        fi || fail "cannot hide $p"
      done
      cd "$work" || fail "cannot enter $work"
      exec 3<&0
      { trap '' TERM INT HUP; cat <&3 > /dev/null; echo "trainyard: the worker that started this step is gone; stopping" >&2; kill -KILL -1; } &
      umask 077
      setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all --no-new-privs -- bash -c "$cmd" < /dev/null 3<&- &
      child=$!
      trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
      while :; do wait "$child"; s=$?; kill -0 "$child" 2>/dev/null || exit "$s"; done
      """;

  /** No namespace: bash in the process group {@link StepProcess} starts. */
  public static final StepSandbox NONE =
      new StepSandbox(false, new Layout(null, List.of(), List.of()));

  /** Under a worker root, the empty dir each step's view is built on before it covers the root. */
  static final String VIEW_MOUNT_POINT = ".step-view";

  /**
   * What a step sees of the host.
   *
   * @param root the worker root, hidden from the step but for the {@code readOnly} entries under it
   *     and the step's own dirs; null hides nothing (the store-only sandbox)
   * @param readOnly paths bound read-only, wherever they are: the store's dirs, the trainer runtime
   * @param hidden paths outside the root the step must not read (the worker's TLS key, the
   *     backend's secrets when they live elsewhere): covered by an empty dir or /dev/null
   */
  private record Layout(Path root, List<Path> readOnly, List<Path> hidden) {
    Layout {
      readOnly = List.copyOf(readOnly);
      hidden = List.copyOf(hidden);
    }
  }

  /** Probe outcomes by layout: whether a bind mount works depends on the file systems involved. */
  private static final Map<Layout, Boolean> PROBED = new ConcurrentHashMap<>();

  private final boolean namespaces;
  private final Layout layout;

  private StepSandbox(boolean namespaces, Layout layout) {
    this.namespaces = namespaces;
    this.layout = layout;
  }

  /**
   * The strongest sandbox this host offers, with {@code readOnly} (existing directories: the store)
   * mounted read-only for the step and nothing hidden. Probed once per worker process and set of
   * directories, with those very directories (the binds exist only inside the probe's namespace);
   * the outcome is logged.
   */
  public static StepSandbox detect(List<Path> readOnly) {
    return detect(new Layout(null, readOnly, List.of()));
  }

  /**
   * As {@link #detect(List)}, and the step sees nothing of {@code root} but the {@code readOnly}
   * paths under it, its own attempt dir (read-write) and its step's earlier attempts (read-only),
   * nor any of {@code hidden}. A missing path is skipped when a step starts (the trainer runtime
   * appears with the first training step).
   */
  public static StepSandbox detect(Path root, List<Path> readOnly, List<Path> hidden) {
    Path real = realPath(root);
    try {
      Files.createDirectories(real.resolve(VIEW_MOUNT_POINT));
    } catch (IOException e) {
      LOG.warning("step sandbox: cannot create " + real.resolve(VIEW_MOUNT_POINT) + ": " + e);
      return NONE;
    }
    return detect(
        new Layout(
            real,
            readOnly.stream().map(StepSandbox::realPath).toList(),
            hidden.stream().map(StepSandbox::realPath).toList()));
  }

  private static StepSandbox detect(Layout layout) {
    return PROBED.computeIfAbsent(layout, StepSandbox::probe)
        ? new StepSandbox(true, layout)
        : NONE;
  }

  /** Whether steps end with their whole namespace and see the store read-only. */
  public boolean contained() {
    return namespaces;
  }

  /** Whether steps see only their share of the worker root and none of the hidden paths. */
  public boolean hidesSecrets() {
    return namespaces && layout.root() != null;
  }

  /** The argv that runs {@code command} inside this sandbox, in its work dir. */
  List<String> argv(String command) {
    return argv(command, Path.of("."));
  }

  /** The argv that runs {@code command} inside this sandbox, in {@code workDir}. */
  List<String> argv(String command, Path workDir) {
    if (!namespaces) {
      return List.of("bash", "-c", command);
    }
    Path root = layout.root();
    List<String> argv = new ArrayList<>(List.of(unshareCommand()));
    argv.addAll(
        List.of(
            "sh",
            "-c",
            INIT,
            "trainyard-step-init",
            command,
            root == null ? "" : root.toString(),
            root == null ? "" : root.resolve(VIEW_MOUNT_POINT).toString(),
            root == null ? workDir.toString() : realPath(workDir).toString()));
    layout.readOnly().forEach(p -> argv.add(p.toString()));
    argv.add("--hide");
    layout.hidden().forEach(p -> argv.add(p.toString()));
    return argv;
  }

  /** The path the kernel resolves, so that the init's prefix tests match; as given if missing. */
  private static Path realPath(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
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
   * Runs a real command through the sandbox, in a scratch layout like the real one (a store dir
   * bound read-only and, with a root, a file under it that must vanish) plus the real read-only and
   * hidden paths: it works here, or it does not.
   */
  private static boolean probe(Layout layout) {
    String why;
    Path scratch = null;
    try {
      scratch = Files.createTempDirectory("trainyard-sandbox-probe").toRealPath();
      Path store = Files.createDirectories(scratch.resolve("store"));
      Path work = Files.createDirectories(scratch.resolve("work/run/step/attempt-1"));
      Files.createDirectories(scratch.resolve(VIEW_MOUNT_POINT));
      Path secret = Files.writeString(scratch.resolve("secret"), "x");
      List<Path> readOnly = new ArrayList<>(layout.readOnly());
      readOnly.add(store);
      Layout probed = new Layout(layout.root() == null ? null : scratch, readOnly, layout.hidden());
      String check =
          "! touch '"
              + store
              + "/x' 2>/dev/null"
              + (probed.root() == null ? "" : " && [ ! -e '" + secret + "' ] && touch ok");
      List<String> argv = new StepSandbox(true, probed).argv(check, work);
      Process p =
          new ProcessBuilder(argv).directory(work.toFile()).redirectErrorStream(true).start();
      boolean exited = p.waitFor(10, TimeUnit.SECONDS);
      String out = new String(p.getInputStream().readAllBytes()).strip();
      if (exited && p.exitValue() == 0) {
        LOG.info(
            "step sandbox: each step runs in its own PID and mount namespace without capabilities; "
                + "the store is read-only to it and nothing it starts outlives it"
                + (probed.root() == null
                    ? ""
                    : "; of "
                        + layout.root()
                        + " it sees only the store, the trainer runtime and its own step's dirs, and "
                        + layout.hidden().size()
                        + " other secret path(s) are hidden"));
        return true;
      }
      if (!exited) {
        p.destroyForcibly();
      }
      why =
          exited
              ? "exit " + p.exitValue() + (out.isEmpty() ? "" : ": " + out)
              : "no answer in 10 s";
    } catch (IOException e) {
      why = e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      why = "interrupted";
    } finally {
      deleteTree(scratch);
    }
    LOG.warning(
        "step sandbox unavailable (unshare/setpriv: "
            + why
            + "): steps run in a process group only, so a "
            + "child that calls setsid can outlive its step, and a step can write wherever this worker's user can, "
            + "the artifact store included, and read whatever it can, the worker's and backend's secrets included");
    return false;
  }

  private static void deleteTree(Path dir) {
    if (dir == null) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      LOG.fine("cannot remove the probe's scratch dir " + dir + ": " + e);
    }
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
