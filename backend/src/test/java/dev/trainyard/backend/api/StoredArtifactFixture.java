package dev.trainyard.backend.api;

import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.ArtifactFileEntity;
import dev.trainyard.backend.home.StoredArtifacts;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.workflow.ManifestEntry;
import dev.trainyard.workflow.ProducedArtifact;
import io.quarkus.narayana.jta.QuarkusTransaction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.Map;

/**
 * Stores hand-made files as one artifact of the test's home, the way a step's output is stored: the
 * worker's own store writes the files and their manifest, and the catalog gets the artifact's row
 * and one row per manifest file. For tests that need an artifact whose exact bytes they choose.
 */
public final class StoredArtifactFixture {
  private StoredArtifactFixture() {}

  /**
   * @param files manifest path ({@code /}-separated) to content
   * @return the artifact's id
   */
  public static String store(
      Path home, String type, String name, String team, Map<String, byte[]> files)
      throws IOException {
    return record(new LocalArtifactStore(home).put(write(files), type), type, name, team);
  }

  /** The same, through the application's configured store (e.g. an S3 store). */
  public static String store(
      StoredArtifacts store, String type, String name, String team, Map<String, byte[]> files)
      throws IOException {
    return record(store.put(write(files), type), type, name, team);
  }

  private static Path write(Map<String, byte[]> files) throws IOException {
    Path out = Files.createTempDirectory("trainyard-fixture");
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      Path target = out.resolve(file.getKey());
      Files.createDirectories(target.getParent());
      Files.write(target, file.getValue());
    }
    return out;
  }

  private static String record(ProducedArtifact stored, String type, String name, String team) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              if (ArtifactEntity.findById(stored.id()) != null) {
                return; // same content stored by an earlier test: same id, same rows
              }
              ArtifactEntity a = new ArtifactEntity();
              a.id = stored.id();
              a.type = type;
              a.name = name;
              a.uri = stored.uri();
              a.sizeBytes = stored.sizeBytes();
              a.createdAt = OffsetDateTime.now();
              a.createdBy = "fixture";
              a.team = team;
              a.persist();
              for (ManifestEntry e : stored.files()) {
                ArtifactFileEntity f = new ArtifactFileEntity();
                f.artifactId = a.id;
                f.path = e.path();
                f.sizeBytes = e.sizeBytes();
                f.sha256 = e.sha256();
                f.persist();
              }
            });
    return stored.id();
  }
}
