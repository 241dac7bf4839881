package dev.trainyard.backend.temporal;

import java.util.List;

/**
 * The in-process worker of local mode as the API shows it, read from the worker by {@link
 * TemporalRuntime} (so the API needs no worker class).
 */
public record EmbeddedWorker(List<String> pools, List<Gpu> gpus, int runningSteps) {
  public record Gpu(int index, String name, long memoryMiB) {}
}
