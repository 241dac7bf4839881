package dev.trainyard.backend.local;

import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.backend.home.ArtifactPaths;
import dev.trainyard.backend.home.AttemptFiles;
import dev.trainyard.backend.home.StoredArtifacts;
import dev.trainyard.worker.steps.ResumePoints;
import dev.trainyard.worker.steps.StepFiles;
import dev.trainyard.worker.store.ArtifactStore;
import dev.trainyard.worker.store.FileTrees;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.worker.store.Manifests;
import dev.trainyard.workflow.ArtifactRef;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

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

  /** Retention goes through the store's interface, so any store kind could take its place. */
  private ArtifactStore store() {
    return local();
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
    Path dir = store().resolve(new ArtifactRef(id, null));
    Path file = dir.resolve(path);
    if (!file.normalize().startsWith(dir)) {
      throw new IllegalArgumentException("not a path inside an artifact: " + path);
    }
    return StepFiles.openRegular(file);
  }

  @Override
  public String location() {
    return local().root().toString();
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
  public Optional<Path> resumeStates(String runId, String stepId, int attempt) {
    Path dir = resumeDir(runId, stepId, attempt);
    return Files.isDirectory(dir) ? Optional.of(dir) : Optional.empty();
  }

  @Override
  public void deleteResumeStates(String runId, String stepId, int attempt) throws IOException {
    FileTrees.deleteRecursively(resumeDir(runId, stepId, attempt));
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
