package dev.trainyard.backend.api.runs;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.ApiProblem.FieldError;
import dev.trainyard.workflow.RunStatus;
import io.quarkus.panache.common.Parameters;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The filters of {@code GET /api/v1/runs}, validated all at once (every bad parameter is reported
 * with its name), turned into a JPQL condition that the keyset walk over (createdAt, id) composes
 * with. Every condition is an equality, a range or a prefix, so each has an index (V1, V2, V5).
 */
final class RunListQuery {
  static final int MAX_Q = 200;

  final StringBuilder where = new StringBuilder("1 = 1");
  final Parameters params = new Parameters();
  private final List<FieldError> problems = new ArrayList<>();

  RunListQuery status(String status) {
    if (status == null) {
      return this;
    }
    try {
      params.and("status", RunStatus.valueOf(status));
      where.append(" and status = :status");
    } catch (IllegalArgumentException notAStatus) {
      problems.add(
          new FieldError("status", "must be one of " + java.util.List.of(RunStatus.values())));
    }
    return this;
  }

  RunListQuery equal(String param, String field, String value) {
    if (value == null) {
      return this;
    }
    if (value.isBlank() || value.length() > MAX_Q) {
      problems.add(new FieldError(param, "must be 1 to " + MAX_Q + " characters"));
    } else {
      where.append(" and ").append(field).append(" = :").append(param);
      params.and(param, value);
    }
    return this;
  }

  /**
   * {@code from} inclusive, {@code to} exclusive; a bare date as {@code to} includes that whole day
   * (UTC).
   */
  RunListQuery created(String from, String to) {
    OffsetDateTime start = instant("createdFrom", from, false);
    OffsetDateTime end = instant("createdTo", to, true);
    if (start != null) {
      where.append(" and createdAt >= :createdFrom");
      params.and("createdFrom", start);
    }
    if (end != null) {
      where.append(" and createdAt < :createdTo");
      params.and("createdTo", end);
    }
    if (start != null && end != null && !start.isBefore(end)) {
      problems.add(new FieldError("createdTo", "must be after createdFrom"));
    }
    return this;
  }

  /**
   * Free text: a prefix of the run id, the template name or the launcher, case-insensitive.
   * Prefixes, not substrings, so the planner can use the text_pattern_ops indexes of V5 instead of
   * a scan.
   */
  RunListQuery search(String q) {
    if (q == null || q.isBlank()) {
      return this;
    }
    if (q.length() > MAX_Q) {
      problems.add(new FieldError("q", "must be at most " + MAX_Q + " characters"));
      return this;
    }
    String prefix =
        q.strip().toLowerCase(Locale.ROOT).replace("!", "!!").replace("%", "!%").replace("_", "!_")
            + "%";
    // Run ids are lower case already, so the plain id index serves them.
    where.append(
        " and (id like :q escape '!' or lower(templateName) like :q escape '!'"
            + " or lower(launchedBy) like :q escape '!')");
    params.and("q", prefix);
    return this;
  }

  /** Team scoping: null means all teams (admins). */
  RunListQuery teams(Set<String> visible) {
    if (visible != null) {
      where.append(" and team in :teams");
      params.and("teams", visible);
    }
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
      params.and("cAt", OffsetDateTime.parse(parts[0])).and("cId", parts[1]);
      where.append(" and (createdAt < :cAt or (createdAt = :cAt and id < :cId))");
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

  /** Throws 400 naming every bad parameter. */
  RunListQuery validate() {
    if (!problems.isEmpty()) {
      throw new ApiProblem(
          400,
          "Bad Request",
          String.join("; ", problems.stream().map(FieldError::toString).toList()),
          problems);
    }
    return this;
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
