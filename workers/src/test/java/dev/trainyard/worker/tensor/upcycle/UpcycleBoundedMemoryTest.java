package dev.trainyard.worker.tensor.upcycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.worker.tensor.TensorCli;
import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.CheckpointWriter;
import dev.trainyard.worker.tensor.safetensors.DType;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An upcycle streams: a 72 MB dense checkpoint becomes a 145 MB MoE in a 64 MB heap. */
class UpcycleBoundedMemoryTest {
  private static final int LAYERS = 12;
  private static final int DIM = 1024; // each MLP matrix [1024, 1024] bf16 = 2 MB

  @TempDir Path tmp;

  @Test
  void upcyclingASeventyMegabyteLlamaWithNoiseRunsInA64MegabyteHeap() throws Exception {
    Path base = Files.createDirectories(tmp.resolve("base"));
    List<TensorSpec> plan = new ArrayList<>();
    for (int i = 0; i < LAYERS; i++) {
      for (String proj : List.of("gate_proj", "up_proj", "down_proj")) {
        plan.add(
            new TensorSpec(
                "model.layers." + i + ".mlp." + proj + ".weight",
                DType.BF16,
                new long[] {DIM, DIM}));
      }
    }
    float[] v = new float[DIM * DIM];
    for (int i = 0; i < v.length; i++) {
      v[i] = ((i * 2654435761L) % 1000) * 1e-4f - 0.05f;
    }
    try (CheckpointWriter w =
        new CheckpointWriter(base, plan, CheckpointWriter.DEFAULT_MAX_SHARD_BYTES)) {
      for (TensorSpec s : plan) {
        w.writeFloats(s.name(), v);
      }
      w.writeFile(
          "config.json",
          ("{\"model_type\": \"llama\", \"hidden_size\": 1024, \"num_hidden_layers\": "
                  + LAYERS
                  + "}")
              .getBytes());
      w.commit();
    }
    Path config = tmp.resolve("upcycle.yaml");
    Files.writeString(config, "model: base\nconfig: {experts: 2, noise: 0.01, seed: 1}\n");
    Path out = tmp.resolve("out");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx64m",
                "-cp",
                System.getProperty("java.class.path"),
                TensorCli.class.getName(),
                "upcycle",
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
    assertThat(Files.size(out.resolve("model.safetensors"))).isGreaterThan(2 * 64L << 20);
    try (Checkpoint c = Checkpoint.open(out)) {
      // per layer: 2 experts × 3 matrices + the router
      assertThat(c.tensors()).hasSize(LAYERS * 7);
      assertThat(c.entry("model.layers.11.block_sparse_moe.gate.weight").info().shape())
          .containsExactly(2, DIM);
    }
  }
}
