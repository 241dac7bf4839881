package dev.trainyard.worker.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GpuInventoryTest {
  @Test
  void theInventoryIsReadFromTheTelemetryQuery(@TempDir Path dir) {
    GpuInventory inventory =
        GpuInventory.detect(NvidiaSmiRecordings.standIn(dir, NvidiaSmiRecordings.IDLE_8X_H100));

    assertThat(inventory.count()).isEqualTo(8);
    assertThat(inventory.gpus().getFirst())
        .isEqualTo(
            new GpuInfo(
                0, "NVIDIA H100 80GB HBM3", 81559, "GPU-0b2f6e1a-4c1d-9e3a-7f21-8a1c3d5e7f90"));
  }

  @Test
  void aGpuThatCannotBeReadIsLeftOutAndUnknownMemoryIsReadAsZero(@TempDir Path dir) {
    GpuInventory inventory =
        GpuInventory.detect(NvidiaSmiRecordings.standIn(dir, NvidiaSmiRecordings.ERRORS_AND_NA));

    assertThat(inventory.indices()).containsExactly(0, 2, 3);
    assertThat(inventory.gpus().get(2))
        .isEqualTo(
            new GpuInfo(
                3,
                "NVIDIA A100-SXM4-40GB MIG 1g.5gb",
                0,
                "MIG-8f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"));
  }

  @Test
  void noGpusDescribesItselfAsCpuOnly(@TempDir Path dir) {
    assertThat(GpuInventory.detect(dir.resolve("absent").toString()).count()).isZero();
    assertThat(GpuInventory.none().describe()).contains("CPU-only");
  }

  @Test
  void detectingOnAHostWithoutNvidiaSmiFindsNoGpusInsteadOfFailing() {
    // On GPU hosts this finds the real GPUs; either way it must not throw.
    GpuInventory inventory = GpuInventory.detect();
    assertThat(inventory.count()).isEqualTo(inventory.indices().size());
  }
}
