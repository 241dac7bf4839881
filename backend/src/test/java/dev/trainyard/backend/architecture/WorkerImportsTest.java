package dev.trainyard.backend.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The backend talks to workers through Temporal and the shared {@code workflows} contracts; only
 * the embedded-mode wiring (starting the in-process worker, reading the home in its layout) and the
 * S3 client settings shared with the store may use worker classes.
 */
class WorkerImportsTest {
  private static final Path MAIN = Path.of("src/main/java");

  /** The embedded-mode wiring, relative to src/main/java. */
  static final Set<String> WIRING =
      Set.of(
          "dev/trainyard/backend/temporal/TemporalRuntime.java",
          "dev/trainyard/backend/local/WorkerHomeFiles.java",
          // One definition of how to reach an S3-compatible server (endpoint, region, path style)
          // for the store and for s3:// dataset sources alike.
          "dev/trainyard/backend/intake/S3Sources.java");

  // Fully qualified uses and wildcard imports count too, not just single-class import lines.
  private static final Pattern WORKER_CLASS =
      Pattern.compile("\\bdev\\.trainyard\\.worker\\b(\\.[a-z_]\\w*)*(\\.[A-Z]\\w*|\\.\\*)?");

  @Test
  void theBackendImportsNoWorkerClassOutsideTheEmbeddedModeWiring() throws IOException {
    assertThat(offenders(MAIN)).isEmpty();
  }

  @Test
  void theWiringFilesExistSoTheAllowListCannotGoStale() {
    for (String file : WIRING) {
      assertThat(MAIN.resolve(file)).exists();
    }
  }

  @Test
  void theScanFindsAWorkerImportWhereOneIs(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws IOException {
    Path file = tmp.resolve("dev/trainyard/backend/runs/Sneaky.java");
    Files.createDirectories(file.getParent());
    Files.writeString(
        file,
        "package dev.trainyard.backend.runs;\nimport dev.trainyard.worker.steps.StepFiles;\n"
            + "import dev.trainyard.worker.gpu.*;\n"
            + "class Sneaky { Object o = dev.trainyard.worker.store.FileTrees.class; }\n");
    Path wiring = tmp.resolve("dev/trainyard/backend/temporal/TemporalRuntime.java");
    Files.createDirectories(wiring.getParent());
    Files.writeString(wiring, "import dev.trainyard.worker.TrainyardWorker;\n");

    assertThat(offenders(tmp))
        .containsExactly(
            "dev/trainyard/backend/runs/Sneaky.java: dev.trainyard.worker.steps.StepFiles",
            "dev/trainyard/backend/runs/Sneaky.java: dev.trainyard.worker.gpu.*",
            "dev/trainyard/backend/runs/Sneaky.java: dev.trainyard.worker.store.FileTrees");
  }

  /** "file: class" for each worker class named outside the wiring files. */
  private static List<String> offenders(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(p -> p.toString().endsWith(".java"))
          .sorted()
          .flatMap(
              p -> {
                String relative = root.relativize(p).toString().replace('\\', '/');
                if (WIRING.contains(relative)) {
                  return Stream.empty();
                }
                try {
                  return WORKER_CLASS
                      .matcher(Files.readString(p))
                      .results()
                      .map(m -> relative + ": " + m.group());
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              })
          .toList();
    }
  }
}
