package dev.trainyard.backend.observability;

import java.time.Instant;
import java.util.List;

/**
 * A worker's latest GPU sample as the backend holds it (the workers page and the GPU series read
 * it): each GPU's use, the step attempt it is leased to, and what the sample could not read.
 *
 * @param sampledAt null before the first sample
 */
public record GpuReading(Instant sampledAt, List<Gpu> gpus, List<String> problems) {
  public static final GpuReading NONE = new GpuReading(null, List.of(), List.of());

  public GpuReading {
    gpus = List.copyOf(gpus);
    problems = List.copyOf(problems);
  }

  /** Null fields are what the driver did not report; {@code step} is null for a free GPU. */
  public record Gpu(
      int index,
      String uuid,
      Double utilizationRatio,
      Long memoryUsedMiB,
      Long memoryTotalMiB,
      Integer temperatureCelsius,
      Step step) {}

  public record Step(String runId, String stepId, int attempt) {}
}
