package dev.trainyard.backend.catalog;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

@Entity
@Table(name = "template")
public class TemplateEntity extends PanacheEntityBase {
  @Id public String name;
  public String description;
  public String team;
  public OffsetDateTime createdAt;
  public String createdBy;
}
