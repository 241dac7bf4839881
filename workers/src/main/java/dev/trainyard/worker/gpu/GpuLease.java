package dev.trainyard.worker.gpu;

import java.util.List;
import java.util.stream.Collectors;

/** GPUs held by one step attempt until closed; closing twice is harmless. */
public final class GpuLease implements AutoCloseable {
  private final GpuAllocator allocator;
  private final List<Integer> gpus;
  private boolean released;

  GpuLease(GpuAllocator allocator, List<Integer> gpus) {
    this.allocator = allocator;
    this.gpus = List.copyOf(gpus);
  }

  public List<Integer> gpus() {
    return gpus;
  }

  /** The value for CUDA_VISIBLE_DEVICES: indices joined by commas, empty for none. */
  public String cudaVisibleDevices() {
    return gpus.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  @Override
  public synchronized void close() {
    if (!released) {
      released = true;
      allocator.release(gpus);
    }
  }
}
