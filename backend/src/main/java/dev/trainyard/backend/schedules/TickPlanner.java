package dev.trainyard.backend.schedules;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides what each due tick of a schedule does: launch, wait (buffered) or skip, and why. Pure:
 * the caller supplies the time and whether a run of the schedule is live, so the rules are tested
 * without a database or a clock.
 *
 * <p>A tick later than the catch-up window (plus {@link #FIRING_LATENCY}, the delay of normal
 * firing) is one that was missed while no backend fired schedules; it is skipped and recorded so.
 * Ticks inside the window are decided by the overlap policy, in order, each decision counting for
 * the next (with SKIP, the first of several caught-up ticks launches and the others skip).
 */
public final class TickPlanner {
  /** How late a tick may be decided and still count as on time: a few polls. */
  public static final Duration FIRING_LATENCY = Duration.ofSeconds(5);

  /** At most this many ticks are decided in one pass; the next pass goes on from there. */
  public static final int MAX_TICKS_PER_PASS = 1000;

  public enum Outcome {
    /** To be launched now. */
    PENDING,
    /** To be launched when the live run ends. */
    BUFFERED,
    SKIPPED
  }

  public record Decision(Instant tick, Outcome outcome, String reason) {}

  /**
   * @param decisions one per due tick, oldest first
   * @param nextAfter the first tick after the decided ones (the new cursor), or null for none
   */
  public record Plan(List<Decision> decisions, Instant nextAfter) {}

  /**
   * @param cursor the first undecided tick (itself a tick)
   * @param live a run of this schedule is PENDING or RUNNING, or a decided tick awaits launching
   * @param buffered a tick of this schedule is already buffered
   */
  public static Plan plan(
      CronSchedule cron,
      OverlapPolicy policy,
      Duration catchupWindow,
      Instant cursor,
      Instant now,
      boolean live,
      boolean buffered) {
    List<Decision> decisions = new ArrayList<>();
    if (cursor == null || cursor.isAfter(now)) {
      return new Plan(decisions, cursor);
    }
    List<Instant> due = new ArrayList<>();
    due.add(cursor);
    due.addAll(cron.ticks(cursor, now, MAX_TICKS_PER_PASS - 1));
    Instant oldestOnTime = now.minus(catchupWindow).minus(FIRING_LATENCY);
    for (Instant tick : due) {
      if (tick.isBefore(oldestOnTime)) {
        decisions.add(
            new Decision(
                tick,
                Outcome.SKIPPED,
                "missed: no backend fired schedules at this time, and it is older than the"
                    + " catch-up window ("
                    + catchupWindow.toSeconds()
                    + " s)"));
        continue;
      }
      switch (policy) {
        case ALLOW -> {
          decisions.add(new Decision(tick, Outcome.PENDING, null));
          live = true;
        }
        case SKIP -> {
          if (live) {
            decisions.add(
                new Decision(tick, Outcome.SKIPPED, "overlap: the previous run is still live"));
          } else {
            decisions.add(new Decision(tick, Outcome.PENDING, null));
            live = true;
          }
        }
        case BUFFER_ONE -> {
          if (!live) {
            decisions.add(new Decision(tick, Outcome.PENDING, null));
            live = true;
          } else if (!buffered) {
            decisions.add(
                new Decision(
                    tick, Outcome.BUFFERED, "overlap: launches when the previous run ends"));
            buffered = true;
          } else {
            decisions.add(
                new Decision(
                    tick,
                    Outcome.SKIPPED,
                    "overlap: the previous run is still live and one tick is already buffered"));
          }
        }
      }
    }
    Instant last = due.get(due.size() - 1);
    return new Plan(decisions, cron.next(last).orElse(null));
  }

  private TickPlanner() {}
}
