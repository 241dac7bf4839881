package dev.trainyard.backend.catalog;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.List;

@Entity
@Table(name = "artifact_file")
@IdClass(ArtifactFileEntity.Key.class)
public class ArtifactFileEntity extends PanacheEntityBase {
  @Id public String artifactId;
  @Id public String path;
  public long sizeBytes;
  public String sha256;

  public record Key(String artifactId, String path) implements Serializable {}

  public static List<ArtifactFileEntity> ofArtifact(String artifactId) {
    return list("artifactId = ?1 order by path", artifactId);
  }
}
