package dev.trainyard.worker.gpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The GPUs of this host, discovered once at start with {@code nvidia-smi}; none on a CPU-only host.
 */
public final class GpuInventory {
  private static final Logger LOG = Logger.getLogger(GpuInventory.class.getName());
  static final List<String> QUERY =
      List.of(
          "nvidia-smi",
          "--query-gpu=index,name,memory.total,uuid",
          "--format=csv,noheader,nounits");

  private final List<GpuInfo> gpus;

  public GpuInventory(List<GpuInfo> gpus) {
    this.gpus = List.copyOf(gpus);
  }

  public static GpuInventory none() {
    return new GpuInventory(List.of());
  }

  /**
   * Asks {@code nvidia-smi}. A host without it (or where it fails, e.g. no driver loaded) is
   * treated as CPU-only rather than refusing to start: CPU steps can still run there.
   */
  public static GpuInventory detect() {
    ProcessBuilder builder = new ProcessBuilder(QUERY).redirectErrorStream(true);
    try {
      Process process = builder.start();
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        LOG.warning("nvidia-smi did not answer within 30 s; running CPU-only");
        return none();
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        LOG.warning(
            "nvidia-smi exited with "
                + process.exitValue()
                + "; running CPU-only: "
                + text.strip());
        return none();
      }
      return new GpuInventory(parse(text));
    } catch (IOException e) {
      LOG.log(Level.FINE, "nvidia-smi not found; running CPU-only", e);
      return none();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return none();
    }
  }

  /** Parses {@code index, name, memory.total, uuid} lines (csv, no header, no units). */
  public static List<GpuInfo> parse(String csv) {
    List<GpuInfo> gpus = new ArrayList<>();
    for (String line : csv.split("\\R")) {
      if (line.isBlank()) {
        continue;
      }
      // GPU names have no commas in practice, but split from both ends so one could not shift
      // fields.
      int first = line.indexOf(',');
      int last = line.lastIndexOf(',');
      int beforeLast = line.lastIndexOf(',', last - 1);
      if (first < 0 || beforeLast <= first) {
        throw new IllegalArgumentException("unexpected nvidia-smi line: " + line);
      }
      try {
        gpus.add(
            new GpuInfo(
                Integer.parseInt(line.substring(0, first).strip()),
                line.substring(first + 1, beforeLast).strip(),
                parseMemory(line.substring(beforeLast + 1, last).strip()),
                line.substring(last + 1).strip()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("unexpected nvidia-smi line: " + line, e);
      }
    }
    return List.copyOf(gpus);
  }

  private static long parseMemory(String field) {
    // "[N/A]" shows up for some virtualised or MIG devices.
    return field.startsWith("[") ? 0 : Long.parseLong(field);
  }

  public List<GpuInfo> gpus() {
    return gpus;
  }

  public int count() {
    return gpus.size();
  }

  public List<Integer> indices() {
    return gpus.stream().map(GpuInfo::index).toList();
  }

  /** One line per GPU for the start-up banner. */
  public String describe() {
    if (gpus.isEmpty()) {
      return "no GPUs (CPU-only)";
    }
    StringBuilder text = new StringBuilder(gpus.size() + " GPU(s):");
    for (GpuInfo g : gpus) {
      text.append("\n  [")
          .append(g.index())
          .append("] ")
          .append(g.name())
          .append(", ")
          .append(g.memoryMiB())
          .append(" MiB, ")
          .append(g.uuid());
    }
    return text.toString();
  }
}
