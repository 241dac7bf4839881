package dev.trainyard.backend.temporal;

import dev.trainyard.backend.observability.GpuReading;
import java.util.List;

/**
 * The in-process worker of local mode as the API shows it, read from the worker by {@link
 * TemporalRuntime} (so the API needs no worker class): its GPUs as found at start, and their latest
 * sample with the step each runs.
 */
public record EmbeddedWorker(
    List<String> pools, List<Gpu> gpus, int runningSteps, GpuReading telemetry) {
  /** Its id on the workers page and in the GPU series' {@code worker} label. */
  public static final String ID = "local";

  public record Gpu(int index, String name, long memoryMiB, String uuid) {}
}
