package dev.trainyard.worker.gpu;

/** The step attempt a GPU is leased to. */
public record GpuHolder(String runId, String stepId, int attempt) {}
