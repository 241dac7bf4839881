package dev.trainyard.backend.catalog;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

@Entity
@Table(name = "template_version")
@IdClass(TemplateVersionEntity.Key.class)
public class TemplateVersionEntity extends PanacheEntityBase {
  @Id public String templateName;
  @Id public int version;

  @Column(columnDefinition = "text")
  public String spec;

  public String specSha256;
  public OffsetDateTime createdAt;
  public String createdBy;

  /** Null while a version that contains {@code command} steps awaits an admin's approval. */
  public String approvedBy;

  public OffsetDateTime approvedAt;

  public record Key(String templateName, int version) implements Serializable {}

  public static List<TemplateVersionEntity> ofTemplate(String name) {
    return list("templateName = ?1 order by version", name);
  }

  public static Optional<TemplateVersionEntity> latest(String name) {
    return find("templateName = ?1 order by version desc", name).firstResultOptional();
  }

  public static Optional<TemplateVersionEntity> get(String name, int version) {
    return find("templateName = ?1 and version = ?2", name, version).firstResultOptional();
  }
}
