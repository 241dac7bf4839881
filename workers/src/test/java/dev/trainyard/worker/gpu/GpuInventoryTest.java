package dev.trainyard.worker.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GpuInventoryTest {
  @Test
  void parsesNvidiaSmiCsvOutput() {
    String output =
        """
        0, NVIDIA H100 80GB HBM3, 81559, GPU-5f8a1c2e-0b7d-4c1e-9a3b-1234567890ab
        1, NVIDIA H100 80GB HBM3, 81559, GPU-6a9b2d3f-1c8e-5d2f-0b4c-234567890abc
        """;

    assertThat(GpuInventory.parse(output))
        .containsExactly(
            new GpuInfo(
                0, "NVIDIA H100 80GB HBM3", 81559, "GPU-5f8a1c2e-0b7d-4c1e-9a3b-1234567890ab"),
            new GpuInfo(
                1, "NVIDIA H100 80GB HBM3", 81559, "GPU-6a9b2d3f-1c8e-5d2f-0b4c-234567890abc"));
  }

  @Test
  void parsesOutputCapturedFromARealH200Host() {
    // Verbatim from `nvidia-smi --query-gpu=index,name,memory.total,uuid
    // --format=csv,noheader,nounits`.
    String output = "0, NVIDIA H200, 143771, GPU-6e0261c3-9b00-bfb3-d392-ce258c346570\n";

    assertThat(GpuInventory.parse(output))
        .containsExactly(
            new GpuInfo(0, "NVIDIA H200", 143771, "GPU-6e0261c3-9b00-bfb3-d392-ce258c346570"));
  }

  @Test
  void unknownMemoryIsReadAsZero() {
    assertThat(GpuInventory.parse("3, NVIDIA A100-SXM4-40GB MIG 1g.5gb, [N/A], MIG-abc\n"))
        .containsExactly(new GpuInfo(3, "NVIDIA A100-SXM4-40GB MIG 1g.5gb", 0, "MIG-abc"));
  }

  @Test
  void emptyOutputMeansNoGpus() {
    assertThat(GpuInventory.parse("")).isEmpty();
    assertThat(GpuInventory.none().describe()).contains("CPU-only");
  }

  @Test
  void garbageIsRejectedWithTheLine() {
    assertThatThrownBy(
            () -> GpuInventory.parse("NVIDIA-SMI has failed because it couldn't communicate"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("couldn't communicate");
  }

  @Test
  void detectingOnAHostWithoutNvidiaSmiFindsNoGpusInsteadOfFailing() {
    // On GPU hosts this finds the real GPUs; either way it must not throw.
    GpuInventory inventory = GpuInventory.detect();
    assertThat(inventory.count()).isEqualTo(inventory.indices().size());
  }
}
