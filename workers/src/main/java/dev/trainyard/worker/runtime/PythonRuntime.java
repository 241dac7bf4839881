package dev.trainyard.worker.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The interpreter that runs the reference trainer, and the check of what it can import. The check
 * runs {@code python -m trainyard_trainer check} (the trainer itself reports torch and numpy), so
 * what it says is what a step would meet.
 */
public final class PythonRuntime {
  /** Environment variable (or system property {@value #PROPERTY}) naming the interpreter. */
  public static final String ENV = "TRAINYARD_PYTHON";

  public static final String PROPERTY = "trainyard.python";
  public static final Path DEFAULT_PYTHON = Path.of("/usr/bin/python3");
  static final String INSTALL_HINT =
      "on Debian/Ubuntu: apt-get install python3-torch python3-numpy libopenblas0-openmp; elsewhere a Python "
          + "with torch >= 1.13 and numpy, named by "
          + ENV;
  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(120);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path python;
  private final Supplier<TrainerPackage> trainer;
  private final Path root;
  private volatile TrainerPackage loaded;
  private volatile RuntimeCheck lastCheck;

  /**
   * @param python the interpreter
   * @param root the worker root; the trainer is extracted under {@code root/runtime/}
   */
  public PythonRuntime(Path python, Supplier<TrainerPackage> trainer, Path root) {
    this.python = python;
    this.trainer = trainer;
    this.root = root;
  }

  /** The interpreter named by {@value #ENV} / {@value #PROPERTY}, else {@code /usr/bin/python3}. */
  public static PythonRuntime fromEnvironment(Path root) {
    String named = System.getProperty(PROPERTY, System.getenv(ENV));
    Path python = named == null || named.isBlank() ? DEFAULT_PYTHON : Path.of(named);
    return new PythonRuntime(python, TrainerPackage::fromClasspath, root);
  }

  public Path python() {
    return python;
  }

  /** The packaged trainer sources; read from the classpath on first use. */
  public TrainerPackage trainer() {
    TrainerPackage t = loaded;
    if (t == null) {
      t = trainer.get();
      loaded = t;
    }
    return t;
  }

  /** The dir to put on PYTHONPATH (extracted on first use). */
  public Path trainerPath() throws IOException {
    return trainer().extractUnder(root);
  }

  /**
   * The last successful check, or a fresh one: a runtime that was missing may have been installed
   * since, and re-checking costs about a second, far less than the step it guards.
   */
  public RuntimeCheck check() {
    RuntimeCheck last = lastCheck;
    if (last != null && last.ok()) {
      return last;
    }
    RuntimeCheck fresh = runCheck();
    lastCheck = fresh;
    return fresh;
  }

  private RuntimeCheck runCheck() {
    if (!Files.isRegularFile(python) || !Files.isExecutable(python)) {
      return RuntimeCheck.missing(
          "Python runtime for the trainer is missing: "
              + python
              + " does not exist or is not executable ("
              + INSTALL_HINT
              + ")",
          List.of("python3 at " + python));
    }
    Path trainerPath;
    try {
      trainerPath = trainerPath();
    } catch (IOException | RuntimeException e) {
      return RuntimeCheck.missing(
          "the trainer's Python sources could not be extracted under "
              + root
              + "/runtime: "
              + e.getMessage(),
          List.of("trainer sources"));
    }
    ProcessBuilder pb =
        new ProcessBuilder(python.toString(), "-m", "trainyard_trainer", "check")
            .redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("PYTHONPATH", trainerPath.toString());
    env.put("PYTHONDONTWRITEBYTECODE", "1");
    String output;
    int exit;
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(CHECK_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return RuntimeCheck.missing(
            "checking " + python + " took longer than " + CHECK_TIMEOUT.toSeconds() + " s",
            List.of("a working python3"));
      }
      exit = p.exitValue();
      output = new String(out, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return RuntimeCheck.missing(
          "Python runtime " + python + " cannot be started: " + e.getMessage(),
          List.of("a working python3 at " + python));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return RuntimeCheck.missing("the check of " + python + " was interrupted", List.of());
    }
    String lastLine = output.lines().reduce((a, b) -> b).orElse("");
    JsonNode report;
    try {
      report = JSON.readTree(lastLine);
    } catch (IOException e) {
      report = null;
    }
    if (report == null || !report.isObject()) {
      return RuntimeCheck.missing(
          "Python runtime "
              + python
              + " could not run the trainer's check (exit "
              + exit
              + "): "
              + tail(output),
          List.of("a Python 3 that runs the trainer"));
    }
    List<String> missing = new ArrayList<>();
    report.path("missing").forEach(m -> missing.add(m.asText()));
    String found =
        "python "
            + report.path("python").asText("?")
            + " at "
            + python
            + (report.has("torch") ? ", torch " + report.path("torch").asText() : "")
            + (report.has("numpy") ? ", numpy " + report.path("numpy").asText() : "")
            + (report.path("cuda").asBoolean(false) ? ", CUDA" : ", CPU only");
    if (!missing.isEmpty() || exit != 0) {
      return RuntimeCheck.missing(
          "Python runtime "
              + python
              + " lacks what the trainer needs: "
              + String.join("; ", missing)
              + " ("
              + INSTALL_HINT
              + ")",
          missing);
    }
    return RuntimeCheck.ok(found + ", trainer " + trainer().hash().substring(0, 12));
  }

  private static String tail(String s) {
    return s.length() <= 2000 ? s : "…" + s.substring(s.length() - 2000);
  }
}
