package dev.trainyard.backend.schedules;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cron expressions read in a time zone, across both DST changes of Europe/Berlin in 2026. */
class CronScheduleTest {
  private static List<Instant> ticks(String cron, String zone, String from, String to) {
    return CronSchedule.of(cron, zone).ticks(Instant.parse(from), Instant.parse(to), 100);
  }

  private static List<Instant> instants(String... texts) {
    return java.util.Arrays.stream(texts).map(Instant::parse).toList();
  }

  @Test
  void aDailyTickIsWallClockTimeInTheZoneWinterAndSummer() {
    // 09:00 in Berlin is 08:00 UTC in winter (CET) and 07:00 UTC in summer (CEST).
    assertThat(ticks("0 9 * * *", "Europe/Berlin", "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z"))
        .containsExactlyElementsOf(
            instants(
                "2026-03-27T08:00:00Z",
                "2026-03-28T08:00:00Z",
                "2026-03-29T07:00:00Z",
                "2026-03-30T07:00:00Z"));
    assertThat(ticks("0 9 * * *", "UTC", "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z"))
        .containsExactlyElementsOf(instants("2026-03-28T09:00:00Z", "2026-03-29T09:00:00Z"));
  }

  @Test
  void aLocalTimeTheSpringChangeSkipsDoesNotTickThatDay() {
    // On 2026-03-29 Berlin's clocks jump from 02:00 to 03:00: 02:30 does not exist that day.
    assertThat(ticks("30 2 * * *", "Europe/Berlin", "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z"))
        .containsExactlyElementsOf(
            instants("2026-03-27T01:30:00Z", "2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z"));
  }

  @Test
  void aLocalTimeTheAutumnChangeRepeatsTicksOnce() {
    // On 2026-10-25 Berlin's clocks go back from 03:00 to 02:00: 02:30 happens twice.
    assertThat(ticks("30 2 * * *", "Europe/Berlin", "2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z"))
        .containsExactlyElementsOf(
            instants(
                "2026-10-23T00:30:00Z",
                "2026-10-24T00:30:00Z",
                "2026-10-25T00:30:00Z",
                "2026-10-26T01:30:00Z"));
  }

  @Test
  void anHourlyScheduleTicksEveryRealHourAcrossBothChanges() {
    // Autumn: the local hour 02:00 happens twice and both are real hours; spring: 02:00 never is.
    assertThat(ticks("0 * * * *", "Europe/Berlin", "2026-10-24T22:30:00Z", "2026-10-25T03:30:00Z"))
        .containsExactlyElementsOf(
            instants(
                "2026-10-24T23:00:00Z",
                "2026-10-25T00:00:00Z",
                "2026-10-25T01:00:00Z",
                "2026-10-25T02:00:00Z",
                "2026-10-25T03:00:00Z"));
    assertThat(ticks("0 * * * *", "Europe/Berlin", "2026-03-28T23:30:00Z", "2026-03-29T03:30:00Z"))
        .containsExactlyElementsOf(
            instants(
                "2026-03-29T00:00:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-29T02:00:00Z",
                "2026-03-29T03:00:00Z"));
  }

  @Test
  void sixFieldsTickBySeconds() {
    assertThat(ticks("*/2 * * * * *", "UTC", "2026-01-01T00:00:00Z", "2026-01-01T00:00:07Z"))
        .containsExactlyElementsOf(
            instants("2026-01-01T00:00:02Z", "2026-01-01T00:00:04Z", "2026-01-01T00:00:06Z"));
  }

  @Test
  void ticksFallOnWholeSecondsWhateverTheStartingInstant() {
    assertThat(
            CronSchedule.of("* * * * * *", "UTC").next(Instant.parse("2026-01-01T00:00:00.746Z")))
        .contains(Instant.parse("2026-01-01T00:00:01Z"));
    assertThat(CronSchedule.of("* * * * *", "UTC").next(Instant.parse("2026-01-01T00:00:59.9Z")))
        .contains(Instant.parse("2026-01-01T00:01:00Z"));
  }

  @Test
  void everyProblemWithTheExpressionAndTheZoneIsNamedByField() {
    List<CronSchedule.Problem> problems = new ArrayList<>();
    assertThat(CronSchedule.parse("61 * * * *", "Mars/Olympus", problems)).isNull();
    assertThat(problems)
        .extracting(CronSchedule.Problem::field)
        .containsExactly("cron", "timeZone");
    problems.clear();
    CronSchedule.parse("* * *", null, problems);
    assertThat(problems)
        .extracting(CronSchedule.Problem::field)
        .containsExactly("cron", "timeZone");
    assertThat(problems.get(0).message()).contains("has 3 fields");
    problems.clear();
    assertThat(CronSchedule.parse("0 3 * * 1-5", "America/New_York", problems)).isNotNull();
    assertThat(problems).isEmpty();
  }
}
