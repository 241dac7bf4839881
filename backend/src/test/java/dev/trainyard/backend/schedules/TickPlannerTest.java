package dev.trainyard.backend.schedules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.schedules.TickPlanner.Decision;
import dev.trainyard.backend.schedules.TickPlanner.Outcome;
import dev.trainyard.backend.schedules.TickPlanner.Plan;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What due ticks do by overlap policy and catch-up window. */
class TickPlannerTest {
  static final CronSchedule EVERY_MINUTE = CronSchedule.of("* * * * *", "UTC");
  static final Instant T0 = Instant.parse("2026-05-01T10:00:00Z");
  static final Duration WINDOW = Duration.ofMinutes(10);

  private static Plan plan(OverlapPolicy policy, Instant now, boolean live, boolean buffered) {
    return TickPlanner.plan(EVERY_MINUTE, policy, WINDOW, T0, now, live, buffered);
  }

  @Test
  void anOnTimeTickLaunchesAndTheCursorMovesToTheNextTick() {
    Plan plan = plan(OverlapPolicy.SKIP, T0.plusMillis(300), false, false);
    assertThat(plan.decisions()).containsExactly(new Decision(T0, Outcome.PENDING, null));
    assertThat(plan.nextAfter()).isEqualTo(T0.plusSeconds(60));
  }

  @Test
  void nothingIsDueBeforeTheCursor() {
    Plan plan = plan(OverlapPolicy.ALLOW, T0.minusSeconds(1), false, false);
    assertThat(plan.decisions()).isEmpty();
    assertThat(plan.nextAfter()).isEqualTo(T0);
  }

  @Test
  void skipLaunchesNothingWhileTheRunIsLiveAndRecordsWhy() {
    Plan plan = plan(OverlapPolicy.SKIP, T0.plusMillis(300), true, false);
    assertThat(plan.decisions()).hasSize(1);
    assertThat(plan.decisions().get(0).outcome()).isEqualTo(Outcome.SKIPPED);
    assertThat(plan.decisions().get(0).reason()).contains("previous run is still live");
  }

  @Test
  void bufferOneKeepsOneTickWaitingAndSkipsTheRest() {
    // Three ticks caught up while a run is live: the first waits, the next two skip.
    Plan plan = plan(OverlapPolicy.BUFFER_ONE, T0.plusSeconds(120), true, false);
    assertThat(plan.decisions())
        .extracting(Decision::outcome)
        .containsExactly(Outcome.BUFFERED, Outcome.SKIPPED, Outcome.SKIPPED);
    assertThat(plan.decisions().get(2).reason()).contains("already buffered");
    // One already buffered: every new tick skips.
    assertThat(plan(OverlapPolicy.BUFFER_ONE, T0, true, true).decisions())
        .extracting(Decision::outcome)
        .containsExactly(Outcome.SKIPPED);
    // Nothing live: it launches, and a second caught-up tick waits behind it.
    assertThat(plan(OverlapPolicy.BUFFER_ONE, T0.plusSeconds(60), false, false).decisions())
        .extracting(Decision::outcome)
        .containsExactly(Outcome.PENDING, Outcome.BUFFERED);
  }

  @Test
  void allowLaunchesEveryTickEvenWhileARunIsLive() {
    assertThat(plan(OverlapPolicy.ALLOW, T0.plusSeconds(120), true, false).decisions())
        .extracting(Decision::outcome)
        .containsExactly(Outcome.PENDING, Outcome.PENDING, Outcome.PENDING);
  }

  @Test
  void afterDowntimeTicksInsideTheCatchUpWindowLaunchAndOlderOnesAreSkipped() {
    // Down from 10:00 to 10:15: with a 10-minute window, 10:00-10:04 are too old (10:05 is at
    // the edge of the window plus the firing latency), 10:05-10:15 launch (ALLOW).
    Instant now = T0.plus(Duration.ofMinutes(15));
    Plan plan = plan(OverlapPolicy.ALLOW, now, false, false);
    assertThat(plan.decisions()).hasSize(16);
    assertThat(plan.decisions().subList(0, 5))
        .allSatisfy(
            d -> {
              assertThat(d.outcome()).isEqualTo(Outcome.SKIPPED);
              assertThat(d.reason()).contains("older than the catch-up window (600 s)");
            });
    assertThat(plan.decisions().subList(5, 16))
        .extracting(Decision::outcome)
        .containsOnly(Outcome.PENDING);
    assertThat(plan.decisions().get(5).tick()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
    assertThat(plan.nextAfter()).isEqualTo(T0.plus(Duration.ofMinutes(16)));
  }

  @Test
  void skipAfterDowntimeLaunchesOnlyTheFirstCaughtUpTick() {
    Plan plan = plan(OverlapPolicy.SKIP, T0.plus(Duration.ofMinutes(3)), false, false);
    assertThat(plan.decisions())
        .extracting(Decision::outcome)
        .containsExactly(Outcome.PENDING, Outcome.SKIPPED, Outcome.SKIPPED, Outcome.SKIPPED);
  }

  @Test
  void aZeroWindowStillFiresTicksThatAreOnlyAPollLate() {
    Plan plan =
        TickPlanner.plan(
            EVERY_MINUTE, OverlapPolicy.SKIP, Duration.ZERO, T0, T0.plusSeconds(2), false, false);
    assertThat(plan.decisions()).extracting(Decision::outcome).containsExactly(Outcome.PENDING);
    Plan late =
        TickPlanner.plan(
            EVERY_MINUTE, OverlapPolicy.SKIP, Duration.ZERO, T0, T0.plusSeconds(30), false, false);
    assertThat(late.decisions()).extracting(Decision::outcome).containsExactly(Outcome.SKIPPED);
  }

  @Test
  void onePassDecidesABoundedNumberOfTicks() {
    CronSchedule everySecond = CronSchedule.of("* * * * * *", "UTC");
    Plan plan =
        TickPlanner.plan(
            everySecond,
            OverlapPolicy.ALLOW,
            Duration.ZERO,
            T0,
            T0.plus(Duration.ofDays(1)),
            false,
            false);
    assertThat(plan.decisions()).hasSize(TickPlanner.MAX_TICKS_PER_PASS);
    assertThat(plan.nextAfter()).isEqualTo(T0.plusSeconds(TickPlanner.MAX_TICKS_PER_PASS));
  }
}
