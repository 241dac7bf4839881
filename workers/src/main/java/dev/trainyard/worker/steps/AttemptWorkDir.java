package dev.trainyard.worker.steps;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.trainyard.worker.gpu.GpuLease;
import dev.trainyard.worker.store.ArtifactStore;
import dev.trainyard.worker.store.FileTrees;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.FailureType;
import dev.trainyard.workflow.StepTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One attempt's work dir laid out as the step contract says: {@code inputs/<name>} links, an empty
 * {@code output/}, {@code step.json}, {@code metrics.jsonl} and {@code step.log}.
 */
final class AttemptWorkDir implements StepContext, AutoCloseable {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Set<PosixFilePermission> PRIVATE_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> PRIVATE_FILE =
      PosixFilePermissions.fromString("rw-------");

  private final StepTask task;
  private final Path dir;
  private final Map<String, Path> inputs;
  // The store keeps the inputs' directories (an S3 store's cache never evicts them) until closed.
  private final java.util.List<ArtifactStore.Lease> inputLeases;
  private volatile java.util.function.Supplier<dev.trainyard.worker.launch.StepSandbox> sandbox =
      () -> dev.trainyard.worker.launch.StepSandbox.NONE;

  private AttemptWorkDir(
      StepTask task,
      Path dir,
      Map<String, Path> inputs,
      java.util.List<ArtifactStore.Lease> leases) {
    this.task = task;
    this.dir = dir;
    this.inputs = Map.copyOf(inputs);
    this.inputLeases = leases;
  }

  /** The attempt is over: its inputs may leave the worker's cache. */
  @Override
  public void close() {
    inputLeases.forEach(ArtifactStore.Lease::close);
  }

  /**
   * Creates the dir afresh — the same attempt delivered again (worker crash, activity retry) starts
   * clean, except for its intermediate training checkpoints, which it resumes from — and links the
   * inputs. Problems with the task itself fail as non-retryable.
   */
  static AttemptWorkDir create(Path root, StepTask task, ArtifactStore store) throws IOException {
    Path dir;
    try {
      dir = StepFiles.workDir(root, task.runId(), task.stepId(), task.attempt());
    } catch (IllegalArgumentException e) {
      throw FailureType.INVALID_STEP.failure(e.getMessage());
    }
    clearKeepingCheckpoints(dir);
    Files.createDirectories(dir);
    // step.json holds parameter values: the work tree is the worker's (and its steps') alone.
    for (Path d = dir; d.startsWith(root.resolve("work")); d = d.getParent()) {
      Files.setPosixFilePermissions(d, PRIVATE_DIR);
    }
    // The real path: readers check that the files they open are still inside it
    // (StepFiles.openRegular).
    dir = dir.toRealPath();
    Files.createDirectories(StepFiles.outputDir(dir));
    Files.createDirectories(StepFiles.inputsDir(dir));
    Files.createFile(
        StepFiles.metricsFile(dir), PosixFilePermissions.asFileAttribute(PRIVATE_FILE));
    Files.createFile(StepFiles.logFile(dir), PosixFilePermissions.asFileAttribute(PRIVATE_FILE));
    java.util.List<ArtifactStore.Lease> leases = new java.util.ArrayList<>();
    try {
      return new AttemptWorkDir(task, dir, linkInputs(task, dir, store, leases), leases);
    } catch (IOException | RuntimeException e) {
      leases.forEach(ArtifactStore.Lease::close);
      throw e;
    }
  }

  private static void clearKeepingCheckpoints(Path dir) throws IOException {
    if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      FileTrees.deleteRecursively(dir);
      return;
    }
    try (java.nio.file.DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
      for (Path child : children) {
        if (!child.getFileName().toString().equals(ResumePoints.CHECKPOINTS)) {
          FileTrees.deleteRecursively(child);
        }
      }
    }
  }

  /**
   * Inputs are symbolic links to the store's read-only artifact dirs: a checkpoint is never copied.
   */
  private static Map<String, Path> linkInputs(
      StepTask task, Path dir, ArtifactStore store, java.util.List<ArtifactStore.Lease> leases)
      throws IOException {
    Map<String, Path> links = new TreeMap<>();
    Map<String, ArtifactRef> inputs = task.inputs() == null ? Map.of() : task.inputs();
    for (Map.Entry<String, ArtifactRef> input : inputs.entrySet()) {
      String problem = "step '" + task.stepId() + "' input '" + input.getKey() + "': ";
      Path artifactDir;
      Path link;
      try {
        ArtifactStore.Lease lease = store.use(input.getValue());
        leases.add(lease);
        artifactDir = lease.dir();
        link = StepFiles.input(dir, input.getKey());
      } catch (IllegalArgumentException e) {
        throw FailureType.INVALID_INPUT.failure(problem + e.getMessage());
      } catch (NoSuchFileException e) {
        throw FailureType.INPUT_MISSING.failure(problem + e.getMessage());
      }
      Files.createSymbolicLink(link, artifactDir);
      links.put(input.getKey(), link);
    }
    return links;
  }

  /** Processes the kind starts itself run in the worker's sandbox, probed when first asked. */
  void useSandbox(java.util.function.Supplier<dev.trainyard.worker.launch.StepSandbox> sandbox) {
    this.sandbox = sandbox;
  }

  @Override
  public dev.trainyard.worker.launch.StepSandbox sandbox() {
    return sandbox.get();
  }

  @Override
  public Path dir() {
    return dir;
  }

  @Override
  public Path log() {
    return StepFiles.logFile(dir);
  }

  @Override
  public Path metrics() {
    return StepFiles.metricsFile(dir);
  }

  @Override
  public Path output() {
    return StepFiles.outputDir(dir);
  }

  @Override
  public Path stepJson() {
    return StepFiles.stepJson(dir);
  }

  @Override
  public Map<String, Path> inputs() {
    return inputs;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Map<String, Object> resolvedBody() {
    return (Map<String, Object>)
        tokens().substituteTree(task.body() == null ? Map.of() : task.body());
  }

  InputTokens tokens() {
    return new InputTokens(inputs);
  }

  /**
   * What the step process finds in {@code step.json}: the body with input tokens already resolved
   * (and, from the planner, every default filled in), {@code runner}, the kind's settings for its
   * runner, and {@code resume}, an earlier attempt's intermediate checkpoint to continue from (or
   * null).
   */
  void writeStepJson(GpuLease lease, Path resume, Map<String, Object> runner) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("kind", task.kind());
    json.put("runner", runner);
    json.put("runId", task.runId());
    json.put("stepId", task.stepId());
    json.put("attempt", task.attempt());
    json.put("body", resolvedBody());
    Map<String, String> inputPaths = new TreeMap<>();
    inputs.forEach((name, path) -> inputPaths.put(name, path.toString()));
    json.put("inputs", inputPaths);
    // What lineage knows each input by: a trainer records the mixture it consumed per artifact.
    Map<String, String> artifactIds = new TreeMap<>();
    if (task.inputs() != null) {
      task.inputs().forEach((name, ref) -> artifactIds.put(name, ref.id()));
    }
    json.put("artifacts", artifactIds);
    json.put("output", output().toString());
    json.put("metrics", metrics().toString());
    json.put("gpus", lease.gpus());
    json.put("resume", resume == null ? null : resume.toString());
    json.put("work_dir", dir.toString());
    Path file =
        Files.createFile(
            StepFiles.stepJson(dir), PosixFilePermissions.asFileAttribute(PRIVATE_FILE));
    try (var out = Files.newOutputStream(file)) {
      JSON.writeValue(out, json);
    }
  }

  /** The step contract's environment variables. */
  Map<String, String> contractEnvironment(GpuLease lease) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TRAINYARD_OUTPUT", output().toString());
    env.put("TRAINYARD_WORKDIR", dir.toString());
    env.put("TRAINYARD_STEP_JSON", StepFiles.stepJson(dir).toString());
    env.put("TRAINYARD_METRICS", metrics().toString());
    env.put("TRAINYARD_RUN_ID", task.runId());
    env.put("TRAINYARD_STEP_ID", task.stepId());
    env.put("TRAINYARD_ATTEMPT", String.valueOf(task.attempt()));
    // Empty rather than unset: an unset variable means "all GPUs" to CUDA.
    env.put("CUDA_VISIBLE_DEVICES", lease.cudaVisibleDevices());
    return env;
  }
}
