package dev.trainyard.worker.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.CheckpointWriter;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A merge of checkpoints several times larger than the heap of the JVM that runs it. */
class BoundedMemoryTest {
  private static final int TENSORS = 50;
  private static final int ELEMENTS = 1 << 20; // 2 MB per bf16 tensor, 100 MB per checkpoint

  @TempDir Path tmp;

  @Test
  void tiesMergeOfThreeHundredMegabytesRunsInA64MegabyteHeap() throws Exception {
    List<String> models = new ArrayList<>();
    for (int m = 0; m < 3; m++) {
      models.add(generate(tmp.resolve("m" + m), m).toString());
    }
    Path config = tmp.resolve("merge.yaml");
    Files.writeString(
        config,
        """
        method: ties
        base: m0
        models:
          - {model: m1, weight: 1.0, density: 0.5}
          - {model: m2, weight: 0.5, density: 0.3}
        """);
    Path out = tmp.resolve("out");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx64m",
                "-cp",
                System.getProperty("java.class.path"),
                TensorCli.class.getName(),
                "merge",
                "--config",
                config.toString(),
                "--out",
                out.toString(),
                "--quiet")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("child.log").toFile())
            .start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(tmp.resolve("child.log"))).isZero();
    assertThat(Files.size(out.resolve("model.safetensors"))).isGreaterThan(64L << 20);
    try (Checkpoint c = Checkpoint.open(out)) {
      assertThat(c.tensors()).hasSize(TENSORS);
    }
  }

  @Test
  void loraFoldIntoAHundredMegabyteBaseRunsInA64MegabyteHeap() throws Exception {
    Path base = generate(tmp.resolve("base"), 0);
    // An adapter of rank 8 on every tensor of the base (layers.T.weight [1024, 1024]).
    Path adapter = Files.createDirectories(tmp.resolve("adapter"));
    Files.writeString(
        adapter.resolve("adapter_config.json"),
        "{\"peft_type\": \"LORA\", \"r\": 8, \"lora_alpha\": 16, \"bias\": \"none\"}");
    int cols = ELEMENTS / 1024;
    List<TensorSpec> plan = new ArrayList<>();
    for (int t = 0; t < TENSORS; t++) {
      plan.add(
          new TensorSpec(
              "base_model.model.layers." + t + ".lora_A.weight", DType.F32, new long[] {8, cols}));
      plan.add(
          new TensorSpec(
              "base_model.model.layers." + t + ".lora_B.weight", DType.F32, new long[] {1024, 8}));
    }
    try (var w =
        new dev.trainyard.worker.tensor.safetensors.SafetensorsWriter(
            adapter.resolve("adapter_model.safetensors"), plan, java.util.Map.of())) {
      for (TensorSpec s : plan) {
        float[] v = new float[(int) s.numel()];
        java.util.Arrays.fill(v, 0.1f);
        w.writeFloats(s.name(), v);
      }
      w.finish();
    }
    Path config = tmp.resolve("lora.yaml");
    Files.writeString(
        config,
        """
        method: lora
        base: base
        models:
          - {model: adapter, weight: 1.0}
        """);
    Path out = tmp.resolve("out");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx64m",
                "-cp",
                System.getProperty("java.class.path"),
                TensorCli.class.getName(),
                "merge",
                "--config",
                config.toString(),
                "--out",
                out.toString(),
                "--quiet")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("child.log").toFile())
            .start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(tmp.resolve("child.log"))).isZero();
    try (Checkpoint in = Checkpoint.open(base);
        Checkpoint c = Checkpoint.open(out)) {
      assertThat(c.tensors()).hasSize(TENSORS);
      // Each element gained (16/8)·Σₖ 0.1·0.1 = 0.16, then was rounded to bf16 again.
      float before = in.entry("layers.7.weight").readFloats()[123];
      float after = c.entry("layers.7.weight").readFloats()[123];
      assertThat((double) after)
          .isCloseTo(before + 0.16, org.assertj.core.data.Offset.offset(0.004));
      assertThat(c.entry("layers.7.weight").info().dtype()).isEqualTo(DType.BF16);
    }
  }

  private static Path generate(Path dir, int seed) throws IOException {
    List<TensorSpec> plan = new ArrayList<>();
    for (int t = 0; t < TENSORS; t++) {
      plan.add(
          new TensorSpec(
              "layers." + t + ".weight", DType.BF16, new long[] {1024, ELEMENTS / 1024}));
    }
    float[] v = new float[ELEMENTS];
    long state = seed * 0x9E3779B97F4A7C15L + 1;
    try (CheckpointWriter w =
        new CheckpointWriter(dir, plan, CheckpointWriter.DEFAULT_MAX_SHARD_BYTES)) {
      for (TensorSpec s : plan) {
        for (int i = 0; i < v.length; i++) {
          state ^= state << 13;
          state ^= state >>> 7;
          state ^= state << 17;
          v[i] = (state >> 40) * 0x1p-24f;
        }
        w.writeFloats(s.name(), v);
      }
      w.commit();
    }
    return dir;
  }
}
