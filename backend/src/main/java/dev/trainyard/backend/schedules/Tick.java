package dev.trainyard.backend.schedules;

import java.time.Instant;
import java.util.Map;

/**
 * One tick of a schedule and what it did.
 *
 * @param status PENDING (to launch), BUFFERED (waits for the live run), FIRED (launched runId) or
 *     SKIPPED (reason)
 */
public record Tick(
    String scheduleId,
    Instant tickAt,
    String status,
    String reason,
    String runId,
    Integer templateVersion,
    Map<String, Object> params,
    Instant decidedAt,
    Instant firedAt) {

  /** The launch's idempotency key: the same for every attempt to launch this tick. */
  public String idempotencyKey() {
    return idempotencyKey(scheduleId, tickAt);
  }

  public static String idempotencyKey(String scheduleId, Instant tickAt) {
    return "schedule:" + scheduleId + ":" + tickAt;
  }
}
