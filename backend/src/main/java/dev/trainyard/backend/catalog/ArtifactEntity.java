package dev.trainyard.backend.catalog;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

@Entity
@Table(name = "artifact")
public class ArtifactEntity extends PanacheEntityBase {
  @Id public String id;
  public String type;
  public String name;
  public String uri;
  public long sizeBytes;
  public String runId;
  public String stepId;
  public Integer attempt;
  public String outputName;
  public OffsetDateTime createdAt;
  public String createdBy;
  public String team;

  /** Set when retention deleted the files: the row stays as a tombstone for lineage and audit. */
  public OffsetDateTime deletedAt;

  public String deletedBy;
  public String deletionReason;

  /**
   * Stored by an attempt that then failed (a failed gate's report): kept as evidence, never a
   * step's input.
   */
  public boolean failed;

  public boolean deleted() {
    return deletedAt != null;
  }

  /** Artifacts whose id starts with the prefix (hex digits only: no LIKE wildcard). */
  public static java.util.List<ArtifactEntity> withIdPrefix(String hexPrefix) {
    return list("id like ?1", hexPrefix + "%");
  }

  /** The newest artifact of this name (a dataset's name means its latest version). */
  public static java.util.Optional<ArtifactEntity> latestNamed(String name) {
    return find("name = ?1 order by createdAt desc", name).firstResultOptional();
  }

  /** Datasets whose id starts with the prefix (hex digits only: no LIKE wildcard). */
  public static java.util.List<ArtifactEntity> datasetsWithIdPrefix(String hexPrefix) {
    return list("type = 'dataset' and id like ?1", hexPrefix + "%");
  }
}
