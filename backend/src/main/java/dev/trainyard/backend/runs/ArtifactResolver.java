package dev.trainyard.backend.runs;

import dev.trainyard.backend.catalog.AliasEntity;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.datasets.DatasetRefs;
import java.util.Optional;

/**
 * Finds the artifact a user means by an alias, a dataset name, or an id (full, or a unique prefix ≥
 * 12).
 */
public final class ArtifactResolver {
  private ArtifactResolver() {}

  /** {@code type} restricts to one artifact type, or null for any. */
  public static Optional<ArtifactEntity> resolve(String ref, String type) {
    if (ref.contains(":v") || ref.indexOf('@') > 0) {
      // A dataset version (corpus:v3, corpus@production); the caller's visibility is checked by
      // the caller of this method.
      return DatasetRefs.resolve(ref, team -> true) instanceof DatasetRefs.Found f
          ? Optional.of(f.artifact()).filter(a -> type == null || type.equals(a.type))
          : Optional.empty();
    }
    Optional<ArtifactEntity> found = Optional.empty();
    AliasEntity alias = AliasEntity.findById(ref);
    if (alias != null) {
      found = ArtifactEntity.findByIdOptional(alias.artifactId);
    }
    if (found.isEmpty()) {
      // A dataset's name means its latest version.
      found = ArtifactEntity.latestNamed(ref);
    }
    if (found.isEmpty() && ref.matches("[0-9a-f]{12,64}")) {
      var matches = ArtifactEntity.withIdPrefix(ref);
      if (matches.size() == 1) {
        found = Optional.of(matches.get(0));
      }
    }
    return found.filter(a -> type == null || type.equals(a.type));
  }
}
