package dev.trainyard.backend.observability;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The GPU series of a worker's latest sample, by {@code worker} and {@code gpu} (its index): set
 * from each sample as it arrives, so a GPU that stops reporting (or a value the driver reports as
 * N/A) has no series rather than a stale or made-up one.
 */
@Singleton
public class GpuMetrics {
  private static final long MIB = 1024L * 1024L;

  private final MultiGauge utilization;
  private final MultiGauge memoryUsed;
  private final MultiGauge memoryTotal;
  private final MultiGauge temperature;
  private final MultiGauge leased;

  @Inject
  public GpuMetrics(MeterRegistry registry) {
    utilization =
        MultiGauge.builder("trainyard.gpu.utilization")
            .description("Busy fraction of the GPU over nvidia-smi's last sample period, 0 to 1")
            .baseUnit("ratio")
            .register(registry);
    memoryUsed =
        MultiGauge.builder("trainyard.gpu.memory.used")
            .description("GPU memory in use")
            .baseUnit("bytes")
            .register(registry);
    memoryTotal =
        MultiGauge.builder("trainyard.gpu.memory.total")
            .description("GPU memory in all")
            .baseUnit("bytes")
            .register(registry);
    temperature =
        MultiGauge.builder("trainyard.gpu.temperature")
            .description("GPU core temperature")
            .baseUnit("celsius")
            .register(registry);
    leased =
        MultiGauge.builder("trainyard.gpu.leased")
            .description("1 while the GPU is leased to a step attempt, else 0")
            .register(registry);
  }

  /** Replaces {@code worker}'s series with those of {@code snapshot}. */
  public void sampled(String worker, GpuReading snapshot) {
    utilization.register(rows(worker, snapshot, g -> g.utilizationRatio()), true);
    memoryUsed.register(rows(worker, snapshot, g -> bytes(g.memoryUsedMiB())), true);
    memoryTotal.register(rows(worker, snapshot, g -> bytes(g.memoryTotalMiB())), true);
    temperature.register(rows(worker, snapshot, g -> g.temperatureCelsius()), true);
    leased.register(rows(worker, snapshot, g -> g.step() == null ? 0 : 1), true);
  }

  private static List<MultiGauge.Row<?>> rows(
      String worker, GpuReading snapshot, Function<GpuReading.Gpu, Number> value) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (GpuReading.Gpu gpu : snapshot.gpus()) {
      Number n = value.apply(gpu);
      if (n != null) {
        rows.add(
            MultiGauge.Row.of(Tags.of("worker", worker, "gpu", String.valueOf(gpu.index())), n));
      }
    }
    return rows;
  }

  private static Long bytes(Long mib) {
    return mib == null ? null : mib * MIB;
  }
}
