package dev.trainyard.backend.schedules;

import java.time.Instant;
import java.util.Map;

/**
 * A schedule as stored.
 *
 * @param templateVersion null: each tick launches the template's latest version
 * @param nextTickAt the first tick not yet decided; null while paused or when the cron never ticks
 *     again
 */
public record Schedule(
    String id,
    String template,
    Integer templateVersion,
    String cron,
    String timeZone,
    Map<String, Object> params,
    OverlapPolicy overlapPolicy,
    long catchupWindowSeconds,
    boolean paused,
    Instant nextTickAt,
    String team,
    String createdBy,
    Instant createdAt,
    Instant updatedAt) {

  public CronSchedule cronSchedule() {
    return CronSchedule.of(cron, timeZone);
  }
}
