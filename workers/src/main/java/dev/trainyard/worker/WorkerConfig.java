package dev.trainyard.worker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How a worker runs.
 *
 * @param root its directory: {@code artifacts/} (the local store), {@code work/} (attempt dirs),
 *     {@code tmp/}
 * @param pools the pools it serves; it polls {@code TaskQueues.pool(p)} for each
 * @param maxConcurrentSteps steps it runs at once per pool (GPU steps are further limited by free
 *     GPUs)
 * @param terminationGrace time a cancelled step gets between SIGTERM and SIGKILL
 * @param hiddenFromSteps files and dirs outside {@code root} that steps must not read (this
 *     worker's TLS key, the embedding backend's secrets); all of {@code root} but the store, the
 *     trainer runtime and the step's own dirs is hidden from steps anyway
 */
public record WorkerConfig(
    Path root,
    List<String> pools,
    int maxConcurrentSteps,
    Duration terminationGrace,
    List<Path> hiddenFromSteps) {
  public static final Duration DEFAULT_TERMINATION_GRACE = Duration.ofSeconds(10);

  public WorkerConfig {
    pools = List.copyOf(pools);
    hiddenFromSteps = List.copyOf(hiddenFromSteps);
    if (root == null) {
      throw new IllegalArgumentException("worker root dir is required");
    }
    if (pools.isEmpty()) {
      throw new IllegalArgumentException("a worker serves at least one pool");
    }
    for (String pool : pools) {
      if (pool == null || !pool.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
        throw new IllegalArgumentException("invalid pool name: '" + pool + "'");
      }
    }
    if (maxConcurrentSteps < 1) {
      throw new IllegalArgumentException(
          "maxConcurrentSteps must be >= 1, got " + maxConcurrentSteps);
    }
    if (terminationGrace == null || terminationGrace.isNegative()) {
      throw new IllegalArgumentException("terminationGrace must be >= 0");
    }
  }

  /** Hides nothing outside {@code root}. */
  public WorkerConfig(
      Path root, List<String> pools, int maxConcurrentSteps, Duration terminationGrace) {
    this(root, pools, maxConcurrentSteps, terminationGrace, List.of());
  }

  /** One pool, {@code default}; concurrency and grace at their defaults. What local mode uses. */
  public static WorkerConfig local(Path root, int maxConcurrentSteps) {
    return new WorkerConfig(
        root, List.of("default"), maxConcurrentSteps, DEFAULT_TERMINATION_GRACE);
  }
}
