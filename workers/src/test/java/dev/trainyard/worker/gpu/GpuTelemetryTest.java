package dev.trainyard.worker.gpu;

import static dev.trainyard.worker.gpu.NvidiaSmiRecordings.BUSY_8X_H100;
import static dev.trainyard.worker.gpu.NvidiaSmiRecordings.ERRORS_AND_NA;
import static dev.trainyard.worker.gpu.NvidiaSmiRecordings.IDLE_8X_H100;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GpuTelemetryTest {
  @TempDir Path dir;

  @Test
  void anIdleEightGpuBoxReadsAsEightIdleGpus() {
    GpuTelemetry.Reading reading =
        GpuTelemetry.parse(NvidiaSmiRecordings.text(IDLE_8X_H100), Instant.EPOCH);

    assertThat(reading.problems()).isEmpty();
    assertThat(reading.gpus()).hasSize(8);
    assertThat(reading.gpus()).extracting(GpuSample::index).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    assertThat(reading.gpus()).allSatisfy(g -> assertThat(g.utilizationRatio()).isZero());
    assertThat(reading.gpus().getFirst())
        .isEqualTo(
            new GpuSample(
                0,
                "GPU-0b2f6e1a-4c1d-9e3a-7f21-8a1c3d5e7f90",
                "NVIDIA H100 80GB HBM3",
                0.0,
                0L,
                81559L,
                31));
  }

  @Test
  void aBusyBoxReadsUtilisationAsARatioAndMemoryInMiB() {
    List<GpuSample> gpus =
        GpuTelemetry.parse(NvidiaSmiRecordings.text(BUSY_8X_H100), Instant.EPOCH).gpus();

    assertThat(gpus.get(0).utilizationRatio()).isEqualTo(1.0);
    assertThat(gpus.get(3).utilizationRatio()).isEqualTo(0.97);
    assertThat(gpus.get(3).memoryUsedMiB()).isEqualTo(76218L);
    assertThat(gpus.get(3).temperatureCelsius()).isEqualTo(70);
    assertThat(gpus.get(6).utilizationRatio()).isZero();
  }

  @Test
  void anUnreadableGpuIsAProblemAndNotApplicableFieldsAreUnknownNotZero() {
    GpuTelemetry.Reading reading =
        GpuTelemetry.parse(NvidiaSmiRecordings.text(ERRORS_AND_NA), Instant.EPOCH);

    assertThat(reading.problems())
        .containsExactly(
            "Unable to determine the device handle for GPU0000:2A:00.0: Unknown Error");
    assertThat(reading.gpus()).extracting(GpuSample::index).containsExactly(0, 2, 3);
    GpuSample noUtilisation = reading.gpus().get(1);
    assertThat(noUtilisation.utilizationRatio()).isNull();
    assertThat(noUtilisation.temperatureCelsius()).isNull();
    assertThat(noUtilisation.memoryTotalMiB()).isEqualTo(81559L);
    GpuSample mig = reading.gpus().get(2);
    assertThat(mig.name()).isEqualTo("NVIDIA A100-SXM4-40GB MIG 1g.5gb");
    assertThat(mig.memoryUsedMiB()).isEqualTo(13L);
    assertThat(mig.memoryTotalMiB()).isNull();
  }

  @Test
  void aCommaInAGpuNameDoesNotShiftTheNumbers() {
    GpuSample gpu =
        GpuTelemetry.parse("1, GPU-x, Odd, Name, 42, 100, 200, 50\n", Instant.EPOCH)
            .gpus()
            .getFirst();
    assertThat(gpu.name()).isEqualTo("Odd, Name");
    assertThat(gpu.utilizationRatio()).isEqualTo(0.42);
    assertThat(gpu.memoryTotalMiB()).isEqualTo(200L);
  }

  @Test
  void eachSampleCarriesTheStepItsGpuIsLeasedToUntilTheLeaseCloses() throws Exception {
    GpuAllocator allocator = new GpuAllocator(List.of(0, 1, 2, 3, 4, 5, 6, 7));
    List<GpuTelemetry.Snapshot> heard = new CopyOnWriteArrayList<>();
    GpuTelemetry telemetry =
        new GpuTelemetry(
            NvidiaSmiRecordings.standIn(dir, BUSY_8X_H100),
            Duration.ofSeconds(5),
            allocator,
            heard::add);

    try (GpuLease lease =
        allocator.acquire(2, Duration.ofSeconds(1), () -> {}, new GpuHolder("r1", "train", 2))) {
      GpuTelemetry.Snapshot snapshot = telemetry.sampleNow();
      assertThat(lease.gpus()).containsExactly(0, 1);
      assertThat(snapshot.gpus()).hasSize(8);
      assertThat(snapshot.gpus().get(0).step()).isEqualTo(new GpuHolder("r1", "train", 2));
      assertThat(snapshot.gpus().get(1).step()).isEqualTo(new GpuHolder("r1", "train", 2));
      assertThat(snapshot.gpus().get(2).step()).isNull();
      assertThat(heard).containsExactly(snapshot);
    }
    assertThat(telemetry.snapshot().gpus()).allSatisfy(g -> assertThat(g.step()).isNull());
  }

  @Test
  void aFailingNvidiaSmiStillYieldsTheGpusItCouldRead() throws Exception {
    GpuTelemetry.Reading reading =
        GpuTelemetry.query(NvidiaSmiRecordings.standIn(dir, ERRORS_AND_NA));
    assertThat(reading.gpus()).hasSize(3);
    assertThat(reading.problems()).singleElement().asString().contains("Unknown Error");
  }

  @Test
  void aMissingExecutableIsAProblemInTheSnapshotNotACrash() {
    GpuTelemetry telemetry =
        new GpuTelemetry(
            dir.resolve("no-such-nvidia-smi").toString(),
            Duration.ofSeconds(5),
            new GpuAllocator(List.of()),
            s -> {});
    GpuTelemetry.Snapshot snapshot = telemetry.sampleNow();
    assertThat(snapshot.gpus()).isEmpty();
    assertThat(snapshot.problems()).singleElement().asString().contains("cannot run");
  }
}
