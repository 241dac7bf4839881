package dev.trainyard.backend.local;

import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.backend.home.ArtifactPaths;
import dev.trainyard.backend.home.AttemptFiles;
import dev.trainyard.backend.home.StoredArtifacts;
import dev.trainyard.worker.steps.ResumePoints;
import dev.trainyard.worker.steps.ResumeStates;
import dev.trainyard.worker.steps.StepFiles;
import dev.trainyard.worker.store.ArtifactStore;
import dev.trainyard.worker.store.FileTrees;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.worker.store.Manifests;
import dev.trainyard.worker.store.S3ArtifactStore;
import dev.trainyard.worker.store.StoreChoice;
import dev.trainyard.workflow.ArtifactRef;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The home's files in the worker's layout, read and deleted with the worker's own classes: the one
 * place (besides the embedded worker's start in TemporalRuntime) where the backend uses them.
 */
@ApplicationScoped
public class WorkerHomeFiles implements StoredArtifacts, AttemptFiles {
  @Inject TrainyardConfig config;

  /** Opened per use (it only makes its directories if missing), as the worker's is. */
  private LocalArtifactStore local() {
    return new LocalArtifactStore(config.home());
  }

  private ArtifactStore remote;

  /**
   * The configured store: the home's local one, or one S3 store (and its input cache) for the
   * process. Retention, registration and downloads all go through its interface.
   */
  private synchronized ArtifactStore store() {
    if (remote != null) {
      return remote;
    }
    StoreChoice choice = choice();
    if (choice.isLocal()) {
      return local();
    }
    remote = choice.open(config.home());
    return remote;
  }

  private StoreChoice choice() {
    return StoreChoice.parse(
        config.store().uri(),
        config.store().s3Endpoint(),
        config.store().s3Region(),
        config.store().cacheSize());
  }

  @jakarta.annotation.PreDestroy
  synchronized void closeRemote() {
    if (remote instanceof S3ArtifactStore s3) {
      s3.close();
    }
  }

  /** The store the in-process worker must use; empty: its own local store under the home. */
  public Optional<ArtifactStore> workerStore() {
    return choice().isLocal() ? Optional.empty() : Optional.of(store());
  }

  @Override
  public dev.trainyard.workflow.ProducedArtifact put(Path dir, String type) throws IOException {
    return store().put(dir, type);
  }

  @Override
  public Path stagingArea() {
    // The store's own staging dir (LocalArtifactStore.localDirectories: artifacts, then staging).
    return local().localDirectories().get(1);
  }

  @Override
  public boolean contains(String id) {
    return store().contains(id);
  }

  @Override
  public boolean delete(String id) throws IOException {
    return store().delete(id);
  }

  @Override
  public SeekableByteChannel openFile(String id, String path) throws IOException {
    if (!Manifests.isArtifactId(id)) {
      throw new IllegalArgumentException("not an artifact id: " + id);
    }
    if (!ArtifactPaths.isSafe(path)) {
      throw new IllegalArgumentException("not a path inside an artifact: " + path);
    }
    // By id only, never by a row's uri: what is served is what this store holds under that id.
    // Held while the file is opened: an open channel keeps reading once the cache lets go.
    try (ArtifactStore.Lease lease = store().use(new ArtifactRef(id, null))) {
      Path dir = lease.dir();
      Path file = dir.resolve(path);
      if (!file.normalize().startsWith(dir)) {
        throw new IllegalArgumentException("not a path inside an artifact: " + path);
      }
      return StepFiles.openRegular(file);
    }
  }

  @Override
  public String location() {
    return store() instanceof S3ArtifactStore s3 ? s3.location() : local().root().toString();
  }

  @Override
  public SeekableByteChannel openLog(String runId, String stepId, int attempt) throws IOException {
    return StepFiles.openRegular(StepFiles.logFile(realWorkDir(runId, stepId, attempt)));
  }

  @Override
  public SeekableByteChannel openMetrics(String runId, String stepId, int attempt)
      throws IOException {
    return StepFiles.openRegular(StepFiles.metricsFile(realWorkDir(runId, stepId, attempt)));
  }

  @Override
  public Optional<Held> resumeStates(String runId, String stepId, int attempt) throws IOException {
    Path dir = resumeDir(runId, stepId, attempt);
    long size = 0;
    String path = null;
    if (Files.isDirectory(dir)) {
      path = config.home().relativize(dir).toString();
      size += sizeOf(dir);
    }
    List<ResumeStates.Stored> stored = ResumeStates.list(store(), runId, stepId, attempt);
    for (ResumeStates.Stored s : stored) {
      size += Math.max(0, store().sizeOf(s.id()));
    }
    if (path == null && !stored.isEmpty()) {
      path = "store:" + ResumeStates.attemptPrefix(runId, stepId, attempt);
    }
    return path == null ? Optional.empty() : Optional.of(new Held(path, size));
  }

  @Override
  public void deleteResumeStates(String runId, String stepId, int attempt) throws IOException {
    ResumeStates.delete(store(), runId, stepId, attempt);
    FileTrees.deleteRecursively(resumeDir(runId, stepId, attempt));
  }

  private static long sizeOf(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    } catch (IOException e) {
      return 0;
    }
  }

  private Path resumeDir(String runId, String stepId, int attempt) {
    return StepFiles.workDir(config.home(), runId, stepId, attempt)
        .resolve(ResumePoints.CHECKPOINTS);
  }

  /** Under the real home, so that a link in the attempt dir's place is noticed (openRegular). */
  private Path realWorkDir(String runId, String stepId, int attempt) throws IOException {
    return StepFiles.workDir(config.home().toRealPath(), runId, stepId, attempt);
  }
}
