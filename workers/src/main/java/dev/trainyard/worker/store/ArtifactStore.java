package dev.trainyard.worker.store;

import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ProducedArtifact;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where artifacts live once a step has written them: immutable and addressed by the sha256 of their
 * manifest, so storing the same content twice yields the same id and keeps one copy.
 */
public interface ArtifactStore {

  /**
   * Stores the files under {@code outputDir} as one artifact and consumes the directory (it is
   * moved or deleted). Either the whole artifact is stored or nothing is: a failure never leaves a
   * partial artifact that {@link #resolve} would hand out.
   *
   * @param type {@code checkpoint}, {@code eval-report} or {@code files}
   * @throws InvalidArtifactException if the files cannot form an artifact (e.g. a symbolic link)
   */
  ProducedArtifact put(Path outputDir, String type) throws IOException;

  /**
   * A local directory holding the artifact's files, read-only. Fails for refs that point anywhere
   * but this store or at an artifact it does not hold.
   */
  Path resolve(ArtifactRef ref) throws IOException;

  /**
   * Like {@link #resolve}, for a reader that needs the directory for a while (a step's input): it
   * stays until the lease is closed. A store that keeps remote artifacts in a bounded local cache
   * never evicts a leased one; the local store's directories stay anyway.
   */
  default Lease use(ArtifactRef ref) throws IOException {
    return new Lease(resolve(ref), () -> {});
  }

  /** A resolved artifact directory, held until closed. */
  record Lease(Path dir, Runnable release) implements AutoCloseable {
    @Override
    public void close() {
      release.run();
    }
  }

  /** Whether the store holds a complete artifact with this id. */
  boolean contains(String id);

  /**
   * Deletes the artifact's files (retention, after its row is tombstoned). A reader never sees half
   * an artifact under its id: afterwards {@link #contains} is false and {@link #resolve} fails.
   *
   * @return false if the store did not hold it
   * @throws IllegalArgumentException if {@code id} is not an artifact id (nothing is touched)
   */
  boolean delete(String id) throws IOException;

  /** Directories of this host that hold the store's files: step processes get them read-only. */
  default List<Path> localDirectories() {
    return List.of();
  }
}
