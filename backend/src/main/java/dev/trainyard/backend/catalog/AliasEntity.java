package dev.trainyard.backend.catalog;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

@Entity
@Table(name = "alias")
public class AliasEntity extends PanacheEntityBase {
  @Id public String name;
  public String artifactId;
  public OffsetDateTime updatedAt;
  public String updatedBy;
}
