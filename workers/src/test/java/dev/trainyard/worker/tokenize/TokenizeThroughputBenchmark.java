package dev.trainyard.worker.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throughput of the tokenize step (read the JSONL, batch-encode, pack ids and masks into shards,
 * write tokens.json) against the same library's own batch encode of the same documents held in
 * memory, in one run (docs/benchmarks.md). Not part of the test run:
 *
 * <pre>
 * ./mvnw -pl workflows,workers test -Dtest=TokenizeThroughputBenchmark -Dtests.excludedGroups=none
 * -Dsurefire.failIfNoSpecifiedTests=false [-Dbench.mb=64] [-Dbench.model=qwen3|llama3]</pre>
 */
@Tag("benchmark")
class TokenizeThroughputBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void tokenizeStepAgainstTheLibrarysOwnBatchEncode() throws Exception {
    int megabytes = Integer.getInteger("bench.mb", 32);
    int rounds = Integer.getInteger("bench.rounds", 3);
    String model = System.getProperty("bench.model", "qwen3");
    Path tokenizer = RealTokenizers.dir().resolve(model).resolve("models");
    Path data = Files.createDirectories(dir.resolve("data"));
    Path file = data.resolve("docs.jsonl");
    List<String> docs = new ArrayList<>();
    long bytes = 0;
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (long seed = 0; bytes < megabytes * 1_000_000L; seed++) {
        for (String line : TokenizerParityTest.variedLines(seed)) {
          docs.add(line);
          bytes += line.getBytes(StandardCharsets.UTF_8).length;
          out.write(JSON.writeValueAsString(Map.of("text", line)));
          out.newLine();
        }
      }
    }
    double mb = bytes / 1e6;
    System.out.printf(
        "%s: %d documents, %.1f MB of text (%.1f MB JSONL), %d cores%n",
        model, docs.size(), mb, Files.size(file) / 1e6, Runtime.getRuntime().availableProcessors());
    String[] texts = docs.toArray(String[]::new);
    TokenizerFiles files = TokenizerFiles.read(tokenizer);
    try (HuggingFaceTokenizer warm = Tokenization.load(files)) {
      warm.batchEncode(java.util.Arrays.copyOf(texts, 2048), true, false);
    }
    var os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    List<double[]> library = new ArrayList<>();
    List<double[]> steps = new ArrayList<>();
    long tokens = 0;
    for (int round = 1; round <= rounds; round++) {
      // The library's own way: load tokenizer.json, batch-encode the documents (already in memory).
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      tokens = 0;
      try (HuggingFaceTokenizer lib = Tokenization.load(files)) {
        for (Encoding e : lib.batchEncode(texts, true, false)) {
          tokens += e.getIds().length;
        }
      }
      library.add(
          new double[] {(System.nanoTime() - t0) / 1e9, (os.getProcessCpuTime() - cpu0) / 1e9});

      // The step: read the JSONL, encode, pack ids and masks into shards, write tokens.json.
      Path output = dir.resolve("out-" + round);
      long cpu1 = os.getProcessCpuTime();
      long t1 = System.nanoTime();
      Tokenization.Summary summary =
          TokenizeStep.run(
              Map.of(
                  "data", data.toString(),
                  "tokenizer", tokenizer.toString(),
                  "config", Map.of("records", "text", "add_eos", false, "eval_fraction", 0.0)),
              "bench",
              output,
              dir,
              (t, d, o) -> {},
              line -> {});
      steps.add(
          new double[] {(System.nanoTime() - t1) / 1e9, (os.getProcessCpuTime() - cpu1) / 1e9});
      if (summary.tokens() != tokens) {
        throw new AssertionError(
            "the step wrote " + summary.tokens() + " tokens, the library " + tokens);
      }
      System.out.printf(
          "round %d: library %.2f s (%.2f cpu-s) | tokenize step %.2f s (%.2f cpu-s)%n",
          round,
          library.getLast()[0],
          library.getLast()[1],
          steps.getLast()[0],
          steps.getLast()[1]);
      deleteTree(output);
    }
    double[] lib = best(library);
    double[] step = best(steps);
    System.out.printf(
        "best of %d: library %.0f tokens/s %.2f MB/s (%.0f tokens/cpu-s) | tokenize step %.0f tokens/s %.2f MB/s"
            + " (%.0f tokens/cpu-s) | step/library: wall %.2f, cpu %.2f%n",
        rounds,
        tokens / lib[0],
        mb / lib[0],
        tokens / lib[1],
        tokens / step[0],
        mb / step[0],
        tokens / step[1],
        lib[0] / step[0],
        lib[1] / step[1]);
  }

  /** The fastest wall time and the least CPU time of the rounds: the least disturbed by others. */
  private static double[] best(List<double[]> rounds) {
    return new double[] {
      rounds.stream().mapToDouble(r -> r[0]).min().orElseThrow(),
      rounds.stream().mapToDouble(r -> r[1]).min().orElseThrow()
    };
  }

  private static void deleteTree(Path root) throws Exception {
    try (var walk = Files.walk(root)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
