package dev.trainyard.backend.schedules;

/**
 * What fires a schedule's ticks. {@link ScheduleService} owns the schedules (rows, validation,
 * authorization) and tells the engine of every change inside the transaction that writes it; the
 * engine decides when each tick is due and hands it to {@link TickLauncher}, which launches it
 * exactly once whoever calls it.
 *
 * <p>Today's engine is {@link DatabaseScheduleEngine} (a lease in PostgreSQL), because the embedded
 * Temporal server of local mode has no Schedules API. A Temporal cluster's Schedules can take its
 * place: {@code changed} creates, updates, pauses or unpauses a Temporal Schedule with the same
 * cron, zone, overlap policy (SKIP, BUFFER_ONE and ALLOW_ALL are Temporal's names) and catch-up
 * window, whose action is a small workflow calling {@link TickLauncher} from an activity with the
 * schedule's id and the tick's scheduled time (docs/schedules.md).
 */
public interface ScheduleEngine {
  /**
   * The schedule was created or changed (also paused or resumed); {@code schedule} is as stored.
   */
  void changed(Schedule schedule);

  /** The schedule was deleted. */
  void deleted(String scheduleId);
}
