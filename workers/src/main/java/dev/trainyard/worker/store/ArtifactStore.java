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

  /**
   * Points {@code name} at a stored artifact, replacing what it pointed at: how internal artifacts
   * that no catalog row names (a training attempt's resume states) are found again by any host that
   * shares the store. A name is a {@code /}-separated path of segments of {@code [A-Za-z0-9._-]}.
   *
   * @throws IllegalArgumentException for a bad name or id (nothing is written)
   */
  void putName(String name, String id) throws IOException;

  /** Every name starting with {@code prefix} (a name ending in {@code /}), and its artifact id. */
  java.util.Map<String, String> names(String prefix) throws IOException;

  /** Removes a name (the artifact stays); false if there was none. */
  boolean deleteName(String name) throws IOException;

  /** Whether {@code name} (or a prefix ending in {@code /}) is a well-formed name. */
  static boolean isName(String name) {
    return name != null
        && name.matches("([A-Za-z0-9._-]+/)*[A-Za-z0-9._-]*")
        && !name.isEmpty()
        && java.util.Arrays.stream(name.split("/")).noneMatch(s -> s.equals(".") || s.equals(".."));
  }

  /** Directories of this host that hold the store's files: step processes get them read-only. */
  default List<Path> localDirectories() {
    return List.of();
  }
}
