package dev.trainyard.backend.schedules;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A cron expression read in a time zone: five fields (minute hour day-of-month month day-of-week,
 * as crontab) or six with seconds first (as Spring's {@code @Scheduled}). Ticks are wall-clock
 * times in the zone, so "0 2 * * *" in Europe/Berlin is 02:00 local in winter and in summer; a
 * local time that a DST change skips does not tick that day, and one it repeats ticks once. Parsing
 * and the calendar are cron-utils'.
 */
public final class CronSchedule {
  private static final CronParser FIVE_FIELDS =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser SIX_FIELDS =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));

  private final String expression;
  private final ZoneId zone;
  private final ExecutionTime times;

  private CronSchedule(String expression, ZoneId zone, ExecutionTime times) {
    this.expression = expression;
    this.zone = zone;
    this.times = times;
  }

  /** A problem with one of the two inputs: {@code field} is "cron" or "timeZone". */
  public record Problem(String field, String message) {}

  /** The schedule, or every problem with the expression and the zone. */
  public static CronSchedule parse(String expression, String timeZone, List<Problem> problems) {
    int before = problems.size();
    ExecutionTime times = null;
    if (expression == null || expression.isBlank()) {
      problems.add(
          new Problem("cron", "required: five fields (m h dom mon dow) or six (s m h ...)"));
    } else {
      String[] fields = expression.trim().split("\\s+");
      if (fields.length != 5 && fields.length != 6) {
        problems.add(
            new Problem(
                "cron",
                "has "
                    + fields.length
                    + " fields; expected five (m h dom mon dow) or six (s m h dom mon dow)"));
      } else {
        try {
          Cron cron =
              (fields.length == 5 ? FIVE_FIELDS : SIX_FIELDS)
                  .parse(String.join(" ", fields))
                  .validate();
          times = ExecutionTime.forCron(cron);
        } catch (IllegalArgumentException e) {
          problems.add(new Problem("cron", e.getMessage()));
        }
      }
    }
    ZoneId zone = null;
    if (timeZone == null || timeZone.isBlank()) {
      problems.add(new Problem("timeZone", "required: an IANA zone such as Europe/Berlin or UTC"));
    } else {
      try {
        zone = ZoneId.of(timeZone);
      } catch (DateTimeException e) {
        problems.add(
            new Problem(
                "timeZone",
                "unknown time zone '" + timeZone + "' (IANA names: Europe/Berlin, UTC)"));
      }
    }
    if (problems.size() > before) {
      return null;
    }
    CronSchedule schedule = new CronSchedule(expression.trim(), zone, times);
    if (schedule.next(Instant.now()).isEmpty()) {
      problems.add(new Problem("cron", "never ticks after now"));
      return null;
    }
    return schedule;
  }

  /** Parses what was valid when stored. */
  public static CronSchedule of(String expression, String timeZone) {
    List<Problem> problems = new ArrayList<>();
    CronSchedule schedule = parse(expression, timeZone, problems);
    if (schedule == null) {
      throw new IllegalArgumentException(problems.toString());
    }
    return schedule;
  }

  /** The first tick strictly after {@code after}. */
  public Optional<Instant> next(Instant after) {
    // Cron counts whole seconds: from a fractional instant cron-utils would keep the fraction.
    ZonedDateTime from = after.truncatedTo(ChronoUnit.SECONDS).atZone(zone);
    Optional<ZonedDateTime> next = times.nextExecution(from);
    // cron-utils may answer the same instant again around a DST change; never go backwards.
    while (next.isPresent() && !next.get().toInstant().isAfter(after)) {
      from = from.plusSeconds(1);
      next = times.nextExecution(from);
    }
    return next.map(ZonedDateTime::toInstant);
  }

  /** Every tick in (after, upTo], at most {@code limit} of them. */
  public List<Instant> ticks(Instant after, Instant upTo, int limit) {
    List<Instant> ticks = new ArrayList<>();
    Instant cursor = after;
    while (ticks.size() < limit) {
      Optional<Instant> next = next(cursor);
      if (next.isEmpty() || next.get().isAfter(upTo)) {
        break;
      }
      ticks.add(next.get());
      cursor = next.get();
    }
    return ticks;
  }

  public String expression() {
    return expression;
  }

  public ZoneId zone() {
    return zone;
  }
}
