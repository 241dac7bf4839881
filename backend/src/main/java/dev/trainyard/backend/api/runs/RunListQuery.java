package dev.trainyard.backend.api.runs;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.ApiProblem.FieldError;
import dev.trainyard.backend.runs.RunRepository.RunFilter;
import dev.trainyard.workflow.RunStatus;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * The filters of {@code GET /api/v1/runs}, validated all at once (every bad parameter is reported
 * with its name), turned into the {@link RunFilter} that the run repository queries with.
 */
final class RunListQuery {
  static final int MAX_Q = 200;

  private final List<FieldError> problems = new ArrayList<>();
  private RunStatus status;
  private String template;
  private String team;
  private String launchedBy;
  private OffsetDateTime createdFrom;
  private OffsetDateTime createdTo;
  private String prefix;
  private Set<String> teams;
  private OffsetDateTime afterCreatedAt;
  private String afterId;

  RunListQuery status(String status) {
    if (status == null) {
      return this;
    }
    try {
      this.status = RunStatus.valueOf(status);
    } catch (IllegalArgumentException notAStatus) {
      problems.add(
          new FieldError("status", "must be one of " + java.util.List.of(RunStatus.values())));
    }
    return this;
  }

  RunListQuery template(String value) {
    template = checked("template", value);
    return this;
  }

  RunListQuery team(String value) {
    team = checked("team", value);
    return this;
  }

  RunListQuery launchedBy(String value) {
    launchedBy = checked("launchedBy", value);
    return this;
  }

  private String checked(String param, String value) {
    if (value != null && (value.isBlank() || value.length() > MAX_Q)) {
      problems.add(new FieldError(param, "must be 1 to " + MAX_Q + " characters"));
      return null;
    }
    return value;
  }

  /**
   * {@code from} inclusive, {@code to} exclusive; a bare date as {@code to} includes that whole day
   * (UTC).
   */
  RunListQuery created(String from, String to) {
    OffsetDateTime start = instant("createdFrom", from, false);
    OffsetDateTime end = instant("createdTo", to, true);
    createdFrom = start;
    createdTo = end;
    if (start != null && end != null && !start.isBefore(end)) {
      problems.add(new FieldError("createdTo", "must be after createdFrom"));
    }
    return this;
  }

  /** Free text: a prefix of the run id, the template name or the launcher, case-insensitive. */
  RunListQuery search(String q) {
    if (q == null || q.isBlank()) {
      return this;
    }
    if (q.length() > MAX_Q) {
      problems.add(new FieldError("q", "must be at most " + MAX_Q + " characters"));
      return this;
    }
    prefix = q.strip();
    return this;
  }

  /** Team scoping: null means all teams (admins). */
  RunListQuery teams(Set<String> visible) {
    teams = visible;
    return this;
  }

  RunListQuery limit(int limit) {
    if (limit < 1 || limit > 500) {
      problems.add(new FieldError("limit", "must be between 1 and 500"));
    }
    return this;
  }

  RunListQuery after(String cursor) {
    if (cursor == null) {
      return this;
    }
    try {
      String[] parts =
          new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", 2);
      afterCreatedAt = OffsetDateTime.parse(parts[0]);
      afterId = parts[1];
    } catch (RuntimeException e) {
      problems.add(new FieldError("cursor", "not a cursor this API returned"));
    }
    return this;
  }

  static String cursorOf(OffsetDateTime createdAt, String id) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString((createdAt + "|" + id).getBytes(StandardCharsets.UTF_8));
  }

  /** The filter; throws 400 naming every bad parameter. */
  RunFilter validate() {
    if (!problems.isEmpty()) {
      throw new ApiProblem(
          400,
          "Bad Request",
          String.join("; ", problems.stream().map(FieldError::toString).toList()),
          problems);
    }
    return new RunFilter(
        status,
        template,
        team,
        launchedBy,
        createdFrom,
        createdTo,
        prefix,
        teams,
        afterCreatedAt,
        afterId);
  }

  private OffsetDateTime instant(String param, String value, boolean endOfDay) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(value);
    } catch (DateTimeParseException notAnInstant) {
      try {
        LocalDate day = LocalDate.parse(value);
        return (endOfDay ? day.plusDays(1) : day).atStartOfDay().atOffset(ZoneOffset.UTC);
      } catch (DateTimeParseException notADate) {
        problems.add(
            new FieldError(
                param, "must be a date (2025-01-31) or an instant (2025-01-31T12:00:00Z)"));
        return null;
      }
    }
  }
}
