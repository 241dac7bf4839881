package dev.trainyard.backend.catalog;

import dev.trainyard.workflow.RunStatus;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

@Entity
@Table(name = "run")
public class RunEntity extends PanacheEntityBase {
  @Id public String id;
  public String templateName;
  public int templateVersion;

  /** Stored by name: exactly the values V8's run_status_check allows. */
  @Enumerated(EnumType.STRING)
  public RunStatus status;

  @JdbcTypeCode(SqlTypes.JSON)
  public Map<String, Object> params;

  /** The compiled ExecutionPlan as JSON, so a retry runs exactly what was launched. */
  @JdbcTypeCode(SqlTypes.JSON)
  public Map<String, Object> plan;

  public String idempotencyKey;
  public String launchedBy;
  public String team;
  public int executions;
  public String error;
  public OffsetDateTime createdAt;
  public OffsetDateTime startedAt;
  public OffsetDateTime finishedAt;

  /** The trigger and event that launched the run (V14); null when a person or client did. */
  @JdbcTypeCode(SqlTypes.JSON)
  public Map<String, Object> triggeredBy;
}
