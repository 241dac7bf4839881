package dev.trainyard.backend.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Load: {@code load.runs} (default 1,000) runs of a one-step no-op pipeline launched at once from
 * {@value #CLIENTS} client threads, while one more thread reads {@code GET /api/v1/runs?limit=50}
 * and {@code GET /api/v1/runs/{id}} back to back. Reports wall time, runs/s, read latency
 * percentiles during the load and the catalog counts. Goal: all complete; API read p99 &lt; 100 ms.
 * Not part of the test suite: run it with {@code ./mvnw -o -B -pl backend test -Dtest=LoadBenchmark
 * -Dtests.excludedGroups=none}.
 */
@QuarkusTest
@TestProfile(LoadBenchmark.Profile.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@Tag("benchmark")
class LoadBenchmark {
  static final int RUNS = Integer.getInteger("load.runs", 1_000);
  static final int CLIENTS = 16;
  static final int MAX_CONCURRENT_STEPS = 16;
  static final long WAIT_LIMIT_MS = 15 * 60_000;

  /**
   * The embedded worker runs at most 4 steps at once by default; a no-op step may run many more.
   */
  public static class Profile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("trainyard.worker.max-concurrent-steps", String.valueOf(MAX_CONCURRENT_STEPS));
    }
  }

  @Inject EntityManager em;

  @io.quarkus.test.common.http.TestHTTPResource("/")
  java.net.URL base;

  /**
   * One shared JDK client for launches and reads: RestAssured builds a new Apache client per
   * request and runs Groovy, which cost a fifth of the CPU of this very JVM under load and added
   * its own time to each measured read.
   */
  private final java.net.http.HttpClient http =
      java.net.http.HttpClient.newBuilder()
          .version(java.net.http.HttpClient.Version.HTTP_1_1)
          .build();

  private java.net.http.HttpResponse<String> send(String method, String path, String json) {
    var request =
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(base.toString()).resolve(path))
            .header("Authorization", "Bearer " + Api.LOCAL_TOKEN)
            .header("Content-Type", "application/json")
            .method(
                method,
                json == null
                    ? java.net.http.HttpRequest.BodyPublishers.noBody()
                    : java.net.http.HttpRequest.BodyPublishers.ofString(json))
            .build();
    try {
      return http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void thousandConcurrentNoopRuns() throws Exception {
    Api.signIn();
    // cache: false — otherwise every run after the first is a cache hit and no step really runs.
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: load-noop
        steps:
          - id: noop
            kind: command
            cache: false
            run: "true"
        """);
    List<String> ids = new CopyOnWriteArrayList<>();
    ConcurrentLinkedQueue<Long> listNanos = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Long> getNanos = new ConcurrentLinkedQueue<>();
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger readErrors = new AtomicInteger();

    ExecutorService reader = Executors.newSingleThreadExecutor();
    Future<?> reads =
        reader.submit(
            () -> {
              while (!done.get()) {
                long t0 = System.nanoTime();
                int s1 = send("GET", "/api/v1/runs?limit=50", null).statusCode();
                listNanos.add(System.nanoTime() - t0);
                if (s1 != 200) {
                  readErrors.incrementAndGet();
                }
                if (!ids.isEmpty()) {
                  String id = ids.get(ThreadLocalRandom.current().nextInt(ids.size()));
                  long t1 = System.nanoTime();
                  int s2 = send("GET", "/api/v1/runs/" + id, null).statusCode();
                  getNanos.add(System.nanoTime() - t1);
                  if (s2 != 200) {
                    readErrors.incrementAndGet();
                  }
                }
              }
            });

    long start = System.nanoTime();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> launches = new ArrayList<>();
    AtomicInteger launchErrors = new AtomicInteger();
    for (int i = 0; i < RUNS; i++) {
      launches.add(
          clients.submit(
              () -> {
                var response =
                    send("POST", "/api/v1/runs", "{\"template\": \"load-noop\", \"params\": {}}");
                if (response.statusCode() == 201) {
                  ids.add(io.restassured.path.json.JsonPath.from(response.body()).getString("id"));
                } else {
                  launchErrors.incrementAndGet();
                  System.out.println(
                      "launch answered " + response.statusCode() + ": " + response.body());
                }
              }));
    }
    for (Future<?> f : launches) {
      f.get();
    }
    double launchSeconds = (System.nanoTime() - start) / 1e9;
    clients.shutdown();

    long succeeded = 0;
    long deadline = System.currentTimeMillis() + WAIT_LIMIT_MS;
    while (System.currentTimeMillis() < deadline) {
      succeeded =
          count(
              "SELECT count(*) FROM run WHERE template_name = 'load-noop' AND status = 'SUCCEEDED'");
      long ended =
          count(
              "SELECT count(*) FROM run WHERE template_name = 'load-noop'"
                  + " AND status IN ('FAILED', 'CANCELLED', 'INTERRUPTED')");
      if (succeeded + ended >= RUNS) {
        break;
      }
      Thread.sleep(500);
    }
    double wallSeconds = (System.nanoTime() - start) / 1e9;
    done.set(true);
    reads.get(30, TimeUnit.SECONDS);
    reader.shutdown();

    String where = "WHERE run_id IN (SELECT id FROM run WHERE template_name = 'load-noop')";
    long runs = count("SELECT count(*) FROM run WHERE template_name = 'load-noop'");
    long steps = count("SELECT count(*) FROM step " + where);
    long attempts = count("SELECT count(*) FROM step_attempt " + where);
    long outputs = count("SELECT count(*) FROM step_output " + where);
    long artifacts = count("SELECT count(DISTINCT artifact_id) FROM step_output " + where);
    long artifactRows = count("SELECT count(*) FROM artifact");
    long notSucceeded =
        count(
            "SELECT count(*) FROM run WHERE template_name = 'load-noop' AND status <> 'SUCCEEDED'");
    List<Long> all = new ArrayList<>(listNanos);
    all.addAll(getNanos);
    String report =
        String.format(
            """
        runs=%d clients=%d max-concurrent-steps=%d cpus=%d
        launch phase: %.1f s (%.1f launches/s), launch errors=%d
        all terminal after: %.1f s wall; succeeded=%d, not succeeded=%d; throughput %.1f runs/s
        reads during load: %d (errors %d)
          all                     p50=%.1f ms p95=%.1f ms p99=%.1f ms max=%.1f ms
          GET /runs?limit=50 (%d) p50=%.1f ms p95=%.1f ms p99=%.1f ms max=%.1f ms
          GET /runs/{id}     (%d) p50=%.1f ms p95=%.1f ms p99=%.1f ms max=%.1f ms
        catalog: runs=%d steps=%d attempts=%d step_outputs=%d distinct output artifacts=%d artifact rows (all)=%d
        """,
            RUNS,
            CLIENTS,
            MAX_CONCURRENT_STEPS,
            Runtime.getRuntime().availableProcessors(),
            launchSeconds,
            RUNS / launchSeconds,
            launchErrors.get(),
            wallSeconds,
            succeeded,
            notSucceeded,
            succeeded / wallSeconds,
            all.size(),
            readErrors.get(),
            pct(all, 50),
            pct(all, 95),
            pct(all, 99),
            pct(all, 100),
            listNanos.size(),
            pct(listNanos, 50),
            pct(listNanos, 95),
            pct(listNanos, 99),
            pct(listNanos, 100),
            getNanos.size(),
            pct(getNanos, 50),
            pct(getNanos, 95),
            pct(getNanos, 99),
            pct(getNanos, 100),
            runs,
            steps,
            attempts,
            outputs,
            artifacts,
            artifactRows);
    System.out.println("=== load benchmark ===\n" + report);
    Files.createDirectories(Path.of("target/benchmarks"));
    Files.writeString(Path.of("target/benchmarks/load.txt"), report);
    assertThat(succeeded).as("runs that succeeded").isEqualTo(RUNS);
  }

  private long count(String sql) {
    return ((Number) em.createNativeQuery(sql).getSingleResult()).longValue();
  }

  private static double pct(Collection<Long> nanos, int p) {
    if (nanos.isEmpty()) {
      return Double.NaN;
    }
    List<Long> sorted = nanos.stream().sorted().toList();
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, index)) / 1e6;
  }
}
