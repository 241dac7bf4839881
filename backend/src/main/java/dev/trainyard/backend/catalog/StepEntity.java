package dev.trainyard.backend.catalog;

import dev.trainyard.workflow.StepStatus;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.List;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

@Entity
@Table(name = "step")
@IdClass(StepEntity.Key.class)
public class StepEntity extends PanacheEntityBase {
  @Id public String runId;
  @Id public String stepId;
  public int position;
  public String kind;

  /** Stored by name: exactly the values V8's step_status_check allows. */
  @Enumerated(EnumType.STRING)
  public StepStatus status;

  @JdbcTypeCode(SqlTypes.JSON)
  public List<String> needs;

  public record Key(String runId, String stepId) implements Serializable {}

  public static List<StepEntity> ofRun(String runId) {
    return list("runId = ?1 order by position", runId);
  }
}
