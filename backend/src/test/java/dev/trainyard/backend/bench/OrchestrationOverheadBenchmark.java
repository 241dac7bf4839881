package dev.trainyard.backend.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Per-step orchestration overhead: a pipeline of N sequential no-op `command` steps versus a raw
 * Temporal workflow chaining N no-op activities, on the same embedded Temporal service in one run.
 * A transition is the time from one step's start to the next one's start (the work itself is
 * nothing). Not part of the test suite: run it with {@code ./mvnw -pl backend test
 * -Dtest=OrchestrationOverheadBenchmark -Dtests.excludedGroups=none}.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@Tag("benchmark")
class OrchestrationOverheadBenchmark {
  static final int STEPS = 100;
  static final List<Long> RAW_STARTS = new CopyOnWriteArrayList<>();

  @Inject WorkflowClient client;

  @ActivityInterface
  public interface Noop {
    void noop(int i);
  }

  public static class NoopImpl implements Noop {
    @Override
    public void noop(int i) {
      Instant now = Instant.now();
      RAW_STARTS.add(now.getEpochSecond() * 1_000_000_000L + now.getNano());
    }
  }

  @WorkflowInterface
  public interface Chain {
    @WorkflowMethod
    void run(int n);
  }

  public static class ChainImpl implements Chain {
    @Override
    public void run(int n) {
      Noop noop =
          Workflow.newActivityStub(
              Noop.class,
              ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(30)).build());
      for (int i = 0; i < n; i++) {
        noop.noop(i);
      }
    }
  }

  @Test
  void measureStepTransitions() throws Exception {
    Api.signIn();
    // Warm-up of both paths, then the measured runs.
    WorkerFactory factory = WorkerFactory.newInstance(client);
    var worker = factory.newWorker("bench-raw");
    worker.registerWorkflowImplementationTypes(ChainImpl.class);
    worker.registerActivitiesImplementations(new NoopImpl());
    factory.start();
    Path stamps = Files.createTempFile("trainyard-bench", ".txt");
    StringBuilder spec =
        new StringBuilder("apiVersion: trainyard/v1\nkind: Pipeline\nname: bench-chain\nsteps:\n");
    for (int i = 0; i < STEPS; i++) {
      // cache: false — every step must really run (identical bodies would otherwise be cache hits).
      spec.append("  - id: s")
          .append(i)
          .append("\n    kind: command\n    cache: false\n    run: date +%s%N >> ")
          .append(stamps)
          .append('\n');
      if (i > 0) {
        spec.append("    needs: [s").append(i - 1).append("]\n");
      }
    }
    Api.createTemplate(spec.toString());

    runRaw(10);
    runPipeline(stamps);
    RAW_STARTS.clear();
    runRaw(STEPS);
    List<Long> raw = transitions(new ArrayList<>(RAW_STARTS));
    List<Long> pipeline = transitions(runPipeline(stamps));
    factory.shutdownNow();

    String report =
        String.format(
            "steps=%d%npipeline transitions ms: p50=%.1f p99=%.1f mean=%.1f%nraw chain transitions ms: p50=%.1f p99=%.1f mean=%.1f%n"
                + "ratio p50=%.2f p99=%.2f%n",
            STEPS,
            pct(pipeline, 50),
            pct(pipeline, 99),
            mean(pipeline),
            pct(raw, 50),
            pct(raw, 99),
            mean(raw),
            pct(pipeline, 50) / pct(raw, 50),
            pct(pipeline, 99) / pct(raw, 99));
    System.out.println("=== orchestration overhead ===\n" + report);
    Files.createDirectories(Path.of("target/benchmarks"));
    Files.writeString(Path.of("target/benchmarks/orchestration-overhead.txt"), report);
    assertThat(pipeline).hasSize(STEPS - 1);
  }

  private void runRaw(int n) {
    Chain chain =
        client.newWorkflowStub(
            Chain.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue("bench-raw")
                .setWorkflowId("raw-" + System.nanoTime())
                .build());
    chain.run(n);
  }

  private List<Long> runPipeline(Path stamps) throws Exception {
    Files.writeString(stamps, "");
    String runId = Api.launch("bench-chain", Map.of()).getString("id");
    var run =
        Api.awaitStatus(runId, Set.of("SUCCEEDED", "FAILED", "CANCELLED"), Duration.ofMinutes(10));
    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    return Files.readAllLines(stamps).stream()
        .filter(l -> !l.isBlank())
        .map(Long::parseLong)
        .toList();
  }

  private static List<Long> transitions(List<Long> starts) {
    List<Long> sorted = starts.stream().sorted().toList();
    List<Long> out = new ArrayList<>();
    for (int i = 1; i < sorted.size(); i++) {
      out.add(sorted.get(i) - sorted.get(i - 1));
    }
    return out;
  }

  private static double pct(List<Long> nanos, int p) {
    List<Long> sorted = nanos.stream().sorted().toList();
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, index)) / 1e6;
  }

  private static double mean(List<Long> nanos) {
    return nanos.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6;
  }
}
