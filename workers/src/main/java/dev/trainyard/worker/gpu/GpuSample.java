package dev.trainyard.worker.gpu;

/**
 * One GPU at one moment, as {@code nvidia-smi} reports it. A field the driver does not report
 * ({@code [N/A]}, {@code [Not Supported]}, {@code [Unknown Error]}) is null, never a made-up zero.
 *
 * @param utilizationRatio busy fraction of the last sample period, 0 to 1
 */
public record GpuSample(
    int index,
    String uuid,
    String name,
    Double utilizationRatio,
    Long memoryUsedMiB,
    Long memoryTotalMiB,
    Integer temperatureCelsius) {}
