package dev.trainyard.worker.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How a trainer process starts {@link TokenizerServer}: this JVM's own {@code java} and the code
 * this worker runs from, given to the trainer as {@value #ENV} (a JSON list of argv; the trainer
 * appends the tokenizer dir).
 *
 * <p>The classpath is found from where the classes were loaded, not from {@code java.class.path}
 * alone, because the worker runs three ways: the standalone fat jar (everything in one jar), the
 * backend's embedded worker (Quarkus' fast-jar, whose {@code java.class.path} is only {@code
 * quarkus-run.jar} while the libraries sit side by side in {@code lib/main/}), and tests and dev
 * mode (classes dirs plus jars in the Maven repository, all on {@code java.class.path}).
 */
public final class TokenizerServerCommand {
  /** The variable the trainer reads ({@code trainyard_trainer.hf_tokenizer}). */
  public static final String ENV = "TRAINYARD_TOKENIZER_SERVER";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One class of each library the server needs beyond the worker's own code. */
  private static final List<Class<?>> LIBRARIES =
      List.of(HuggingFaceTokenizer.class, ObjectMapper.class);

  private TokenizerServerCommand() {}

  /** {@code java -cp ... TokenizerServer}, without the tokenizer dir. */
  public static List<String> argv() {
    // A small helper beside a trainer: started quickly, one GC thread, the work is in Rust anyway.
    // JNI access is declared so that Java 24+ does not warn into the step's log.
    List<String> argv = new ArrayList<>();
    argv.add(java().toString());
    argv.addAll(
        List.of(
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "--enable-native-access=ALL-UNNAMED",
            // DJL's notes (no CUDA, which platform) would fill every evaluate log; errors still
            // show.
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=error"));
    // The backend's classpath brings JBoss LogManager, which complains unless it is JUL's manager,
    // as
    // Quarkus makes it in its own JVM.
    String logManager = System.getProperty("java.util.logging.manager");
    if (logManager != null) {
      argv.add("-Djava.util.logging.manager=" + logManager);
    }
    argv.add("-cp");
    argv.add(String.join(File.pathSeparator, classpath().stream().map(Path::toString).toList()));
    argv.add(TokenizerServer.class.getName());
    return List.copyOf(argv);
  }

  /** {@link #argv()} as the value of {@value #ENV}. */
  public static String envValue() {
    try {
      return JSON.writeValueAsString(argv());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** This JVM's launcher: the one that already runs the worker runs the server too. */
  static Path java() {
    return ProcessHandle.current()
        .info()
        .command()
        .map(Path::of)
        .filter(Files::isExecutable)
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java"));
  }

  /**
   * The worker's code first, then, unless that is the fat jar holding everything, this JVM's
   * classpath and every jar beside each library's jar (Quarkus' {@code lib/main/}).
   */
  public static List<Path> classpath() {
    Set<Path> entries = new LinkedHashSet<>();
    Path own = location(TokenizerServer.class);
    entries.add(own);
    List<Path> libraries = LIBRARIES.stream().map(TokenizerServerCommand::location).toList();
    if (libraries.stream().allMatch(own::equals)) {
      return List.copyOf(entries);
    }
    for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        entries.add(Path.of(entry).toAbsolutePath().normalize());
      }
    }
    for (Path library : libraries) {
      entries.add(library);
      if (Files.isRegularFile(library) && library.getParent() != null) {
        entries.add(library.getParent().resolve("*"));
      }
    }
    return new ArrayList<>(entries);
  }

  /** The jar or classes dir a class was loaded from. */
  private static Path location(Class<?> type) {
    CodeSource source = type.getProtectionDomain().getCodeSource();
    if (source == null || source.getLocation() == null) {
      throw new IllegalStateException("cannot tell where " + type.getName() + " was loaded from");
    }
    try {
      return Path.of(source.getLocation().toURI()).toAbsolutePath().normalize();
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "cannot tell where " + type.getName() + " was loaded from: " + source.getLocation(), e);
    }
  }
}
