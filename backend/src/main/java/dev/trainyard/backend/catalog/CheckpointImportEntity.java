package dev.trainyard.backend.catalog;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A checkpoint imported from an existing Hugging Face folder (V11): what its files say about the
 * model, and where it came from and who imported it.
 */
@Entity
@Table(name = "checkpoint_import")
public class CheckpointImportEntity extends PanacheEntityBase {
  @Id public String artifactId;
  public String team;
  public String family;
  public long parameters;
  public String dtype;

  /** {@code byte}, {@code hf} or {@code none}. */
  public String tokenizer;

  public boolean chatTemplate;
  public String description;

  /** The imported {@code file://} URI, or {@code upload:<name>.tar}. */
  public String source;

  public OffsetDateTime createdAt;
  public String createdBy;

  /** What lineage says about where the checkpoint came from. */
  public String origin() {
    return "imported from " + source + " by " + createdBy;
  }

  /** The imports among these artifact ids, by id. */
  public static Map<String, CheckpointImportEntity> byIds(Collection<String> ids) {
    if (ids.isEmpty()) {
      return Map.of();
    }
    List<CheckpointImportEntity> rows = list("artifactId in ?1", ids);
    return rows.stream().collect(Collectors.toMap(r -> r.artifactId, Function.identity()));
  }
}
