package dev.trainyard.backend.catalog;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * One version of a named dataset: the artifact (content-addressed, in the store) that {@code
 * name:v<version>} means within its team, and what the format check found in it (V10).
 */
@Entity
@Table(name = "dataset_version")
public class DatasetVersionEntity extends PanacheEntityBase {
  @Id public String artifactId;
  public String team;
  public String name;
  public int version;
  public String format;
  public long records;

  /** Per file path: {@code {"format": ..., "records": N}}. */
  @JdbcTypeCode(SqlTypes.JSON)
  public Map<String, Object> fileFormats;

  /** Where the content came from: the registered file:// URI, or {@code upload:<file name>}. */
  public String source;

  public OffsetDateTime createdAt;
  public String createdBy;

  /** How a launch parameter names exactly this version. */
  public String ref() {
    return name + ":v" + version;
  }

  /** Every version of a name, in all teams. */
  public static java.util.List<DatasetVersionEntity> named(String name) {
    return list("name", name);
  }

  /** Version {@code version} of a name, in all teams. */
  public static java.util.List<DatasetVersionEntity> numbered(String name, int version) {
    return list("name = ?1 and version = ?2", name, version);
  }
}
