package dev.trainyard.worker.gpu;

import java.io.IOException;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The GPUs of this host, discovered once at start with {@code nvidia-smi}; none on a CPU-only host.
 */
public final class GpuInventory {
  private static final Logger LOG = Logger.getLogger(GpuInventory.class.getName());
  public static final String NVIDIA_SMI = "nvidia-smi";

  private final List<GpuInfo> gpus;

  public GpuInventory(List<GpuInfo> gpus) {
    this.gpus = List.copyOf(gpus);
  }

  public static GpuInventory none() {
    return new GpuInventory(List.of());
  }

  /** Asks {@code nvidia-smi} on the PATH; see {@link #detect(String)}. */
  public static GpuInventory detect() {
    return detect(NVIDIA_SMI);
  }

  /**
   * Asks {@code executable} (an {@code nvidia-smi}) with the telemetry query, so that the inventory
   * and the samples read one format. A host without it (or where it reads no GPU, e.g. no driver
   * loaded) is treated as CPU-only rather than refusing to start: CPU steps can still run there. A
   * GPU it cannot read is left out and logged.
   */
  public static GpuInventory detect(String executable) {
    try {
      GpuTelemetry.Reading reading = GpuTelemetry.query(executable);
      if (!reading.problems().isEmpty()) {
        LOG.warning(
            executable
                + " reported "
                + (reading.gpus().isEmpty() ? "no GPU; running CPU-only: " : "problems: ")
                + String.join("; ", reading.problems()));
      }
      return new GpuInventory(reading.gpus().stream().map(GpuInventory::info).toList());
    } catch (IOException e) {
      LOG.log(Level.FINE, executable + " not found; running CPU-only", e);
      return none();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return none();
    }
  }

  /** Unknown total memory ({@code [N/A]} on some virtualised or MIG devices) is read as 0. */
  static GpuInfo info(GpuSample sample) {
    return new GpuInfo(
        sample.index(),
        sample.name(),
        sample.memoryTotalMiB() == null ? 0 : sample.memoryTotalMiB(),
        sample.uuid());
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
