package dev.trainyard.worker.tensor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CancellationException;

/**
 * {@code merge --config merge.yaml --out DIR} and {@code prune --config prune.yaml --out DIR}
 * outside the platform. The YAML is a step body whose checkpoint references are paths (relative to
 * the YAML's dir).
 */
public final class TensorCli {
  private TensorCli() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    if (args.length < 1 || !TensorSteps.kindNames().contains(args[0])) {
      return usage();
    }
    Path config = null;
    Path out = null;
    boolean quiet = false;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--config" -> config = i + 1 < args.length ? Path.of(args[++i]) : null;
        case "--out" -> out = i + 1 < args.length ? Path.of(args[++i]) : null;
        case "--quiet" -> quiet = true;
        default -> {
          return usage();
        }
      }
    }
    if (config == null || out == null) {
      return usage();
    }
    try {
      @SuppressWarnings("unchecked")
      Map<String, Object> body =
          new ObjectMapper(new YAMLFactory()).readValue(Files.readString(config), Map.class);
      Path dir = config.toAbsolutePath().getParent();
      boolean q = quiet;
      var result =
          TensorSteps.run(
              args[0],
              body,
              ref -> dir.resolve(ref),
              out,
              null,
              () -> false,
              line -> {
                if (!q) {
                  System.err.println(line);
                }
              });
      System.out.println(new ObjectMapper().writeValueAsString(result.metrics()));
      return 0;
    } catch (IllegalArgumentException e) {
      System.err.println("invalid " + args[0] + ": " + e.getMessage());
      return 2;
    } catch (CancellationException e) {
      return 130;
    } catch (Exception e) {
      System.err.println(args[0] + " failed: " + e);
      return 1;
    }
  }

  private static int usage() {
    System.err.println(
        "usage: TensorCli "
            + String.join("|", TensorSteps.kindNames())
            + " --config FILE.yaml --out DIR [--quiet]");
    return 64;
  }
}
