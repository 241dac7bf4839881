package dev.trainyard.worker.gpu;

/** One GPU as {@code nvidia-smi} reports it; {@code index} is what CUDA_VISIBLE_DEVICES takes. */
public record GpuInfo(int index, String name, long memoryMiB, String uuid) {}
