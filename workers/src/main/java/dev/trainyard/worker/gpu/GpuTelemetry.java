package dev.trainyard.worker.gpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Samples this host's GPUs with {@code nvidia-smi} every few seconds and keeps the latest reading,
 * joined at read time with the step each GPU is leased to. The executable is configurable so that
 * recorded output can stand in for a GPU (tests, and hosts where it lives off the PATH).
 */
public final class GpuTelemetry implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(GpuTelemetry.class.getName());
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
  static final List<String> QUERY =
      List.of(
          "--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total,temperature.gpu",
          "--format=csv,noheader,nounits");

  /**
   * What one run of {@code nvidia-smi} said: the GPUs it could read, and every line it could not.
   */
  public record Reading(Instant sampledAt, List<GpuSample> gpus, List<String> problems) {
    public Reading {
      gpus = List.copyOf(gpus);
      problems = List.copyOf(problems);
    }
  }

  /** A sampled GPU and the step attempt holding it now (null when free). */
  public record Gpu(GpuSample sample, GpuHolder step) {}

  /** The latest reading with each GPU's holder; {@code sampledAt} null before the first sample. */
  public record Snapshot(Instant sampledAt, List<Gpu> gpus, List<String> problems) {
    public static final Snapshot NONE = new Snapshot(null, List.of(), List.of());
  }

  private final String executable;
  private final Duration interval;
  private final GpuAllocator allocator;
  private final Consumer<Snapshot> listener;
  private volatile Reading latest;
  private Thread sampler;

  /**
   * @param listener told of every new snapshot, on the sampling thread (the backend's Prometheus
   *     gauges); must not block
   */
  public GpuTelemetry(
      String executable, Duration interval, GpuAllocator allocator, Consumer<Snapshot> listener) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("GPU sample interval must be > 0, got " + interval);
    }
    this.executable = executable;
    this.interval = interval;
    this.allocator = allocator;
    this.listener = listener;
  }

  /** Starts sampling in the background; the first sample is taken at once. */
  public synchronized void start() {
    if (sampler != null) {
      return;
    }
    sampler =
        Thread.ofPlatform()
            .daemon()
            .name("gpu-telemetry")
            .start(
                () -> {
                  while (!Thread.currentThread().isInterrupted()) {
                    sampleNow();
                    try {
                      Thread.sleep(interval);
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                });
  }

  /** Takes one sample now (the sampling thread's step; tests call it directly). */
  public Snapshot sampleNow() {
    try {
      latest = query(executable);
    } catch (IOException e) {
      latest =
          new Reading(Instant.now(), List.of(), List.of("cannot run " + executable + ": " + e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return snapshot();
    }
    Snapshot snapshot = snapshot();
    try {
      listener.accept(snapshot);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "GPU telemetry listener failed", e);
    }
    return snapshot;
  }

  /** The latest reading, each GPU with the step it is leased to now. */
  public Snapshot snapshot() {
    Reading reading = latest;
    if (reading == null) {
      return Snapshot.NONE;
    }
    Map<Integer, GpuHolder> holders = allocator.holders();
    return new Snapshot(
        reading.sampledAt(),
        reading.gpus().stream().map(g -> new Gpu(g, holders.get(g.index()))).toList(),
        reading.problems());
  }

  @Override
  public synchronized void close() {
    if (sampler != null) {
      sampler.interrupt();
      sampler = null;
    }
  }

  /**
   * Runs {@code executable} with the query. A non-zero exit still yields the lines it could read
   * (one failed GPU must not hide the others); its other output becomes problems.
   *
   * @throws IOException when it cannot be started (not installed: a CPU-only host)
   */
  public static Reading query(String executable) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(executable);
    command.addAll(QUERY);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return new Reading(
          Instant.now(), List.of(), List.of(executable + " did not answer within 30 s"));
    }
    Reading reading = parse(new String(out, StandardCharsets.UTF_8), Instant.now());
    if (process.exitValue() != 0 && reading.gpus().isEmpty() && reading.problems().isEmpty()) {
      return new Reading(
          reading.sampledAt(),
          List.of(),
          List.of(executable + " exited with " + process.exitValue()));
    }
    return reading;
  }

  /**
   * Parses {@code index, uuid, name, utilization.gpu, memory.used, memory.total, temperature.gpu}
   * lines (csv, no header, no units). A line that is not one GPU (nvidia-smi prints {@code Unable
   * to determine the device handle for GPU…} in place of a GPU that fell off the bus) becomes a
   * problem, kept verbatim.
   */
  public static Reading parse(String csv, Instant sampledAt) {
    List<GpuSample> gpus = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (String line : csv.split("\\R")) {
      if (line.isBlank()) {
        continue;
      }
      GpuSample sample = parseLine(line);
      if (sample == null) {
        problems.add(line.strip());
      } else {
        gpus.add(sample);
      }
    }
    return new Reading(sampledAt, gpus, problems);
  }

  private static GpuSample parseLine(String line) {
    String[] f = line.split(",", -1);
    if (f.length < 7) {
      return null;
    }
    // Split from both ends, so that a comma in a GPU's name could not shift the numbers.
    int n = f.length;
    String name = String.join(",", java.util.Arrays.copyOfRange(f, 2, n - 4)).strip();
    try {
      int index = Integer.parseInt(f[0].strip());
      Long utilization = number(f[n - 4]);
      return new GpuSample(
          index,
          f[1].strip(),
          name,
          utilization == null ? null : utilization / 100.0,
          number(f[n - 3]),
          number(f[n - 2]),
          number(f[n - 1]) == null ? null : number(f[n - 1]).intValue());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * A number, or null for what the driver cannot report ({@code [N/A]}, {@code [Not Supported]}).
   */
  private static Long number(String field) {
    String value = field.strip();
    if (value.startsWith("[") || value.equals("N/A")) {
      return null;
    }
    return Long.parseLong(value);
  }
}
