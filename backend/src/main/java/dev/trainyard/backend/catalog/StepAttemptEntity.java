package dev.trainyard.backend.catalog;

import dev.trainyard.workflow.StepStatus;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

@Entity
@Table(name = "step_attempt")
@IdClass(StepAttemptEntity.Key.class)
public class StepAttemptEntity extends PanacheEntityBase {
  @Id public String runId;
  @Id public String stepId;
  @Id public int attempt;

  /** Stored by name: exactly the values V8's step_attempt_status_check allows. */
  @Enumerated(EnumType.STRING)
  public StepStatus status;

  public String worker;
  public String gpuIds;
  public OffsetDateTime startedAt;
  public OffsetDateTime finishedAt;

  @Column(columnDefinition = "text")
  public String error;

  @Column(columnDefinition = "text")
  public String logTail;

  @JdbcTypeCode(SqlTypes.JSON)
  public Map<String, Double> metrics;

  /**
   * {@code <run>/<step>/<attempt>} whose outputs this attempt reused (a step-cache hit), else null.
   */
  public String cacheSource;

  public record Key(String runId, String stepId, int attempt) implements Serializable {}

  public static List<StepAttemptEntity> ofRun(String runId) {
    return list("runId = ?1 order by stepId, attempt", runId);
  }
}
