package dev.trainyard.backend.api.schedules;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.openapi.ParamValue;
import dev.trainyard.backend.schedules.Schedule;
import dev.trainyard.backend.schedules.ScheduleService;
import dev.trainyard.backend.schedules.ScheduleService.Definition;
import dev.trainyard.backend.schedules.Tick;
import dev.trainyard.backend.security.TeamScope;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * A template's cron schedules and the ticks they fired or skipped. Readers of the template read
 * them; operators of its team change them. Every change, pause and resume included, is in the audit
 * log (as every mutating request is).
 */
@Path("/api/v1/templates/{name}/schedules")
@Produces(MediaType.APPLICATION_JSON)
public class SchedulesResource {
  @Inject ScheduleService schedules;
  @Inject TeamScope scope;

  /**
   * @param cron five fields (minute hour day-of-month month day-of-week) or six with seconds first
   * @param timeZone the IANA zone the expression is read in, e.g. Europe/Berlin
   * @param templateVersion the version each tick launches; none: the latest at each tick
   * @param overlapPolicy SKIP (default), BUFFER_ONE or ALLOW
   * @param catchupWindowSeconds how late a tick missed while no backend ran may still launch
   *     (default 3600)
   * @param paused create it paused
   */
  public record ScheduleBody(
      String cron,
      String timeZone,
      @Schema(nullable = true) Integer templateVersion,
      @Schema(nullable = true, additionalProperties = ParamValue.class) Map<String, Object> params,
      @Schema(
              nullable = true,
              enumeration = {"SKIP", "BUFFER_ONE", "ALLOW"})
          String overlapPolicy,
      @Schema(nullable = true) Long catchupWindowSeconds,
      @Schema(nullable = true) Boolean paused) {
    Definition definition() {
      return new Definition(
          cron, timeZone, templateVersion, params, overlapPolicy, catchupWindowSeconds, paused);
    }
  }

  /**
   * @param nextTickAt the next tick to fire; null while paused
   */
  public record ScheduleView(
      String id,
      String template,
      @Schema(nullable = true) Integer templateVersion,
      String cron,
      String timeZone,
      @Schema(additionalProperties = ParamValue.class) Map<String, Object> params,
      @Schema(enumeration = {"SKIP", "BUFFER_ONE", "ALLOW"}) String overlapPolicy,
      long catchupWindowSeconds,
      boolean paused,
      @Schema(nullable = true) OffsetDateTime nextTickAt,
      String team,
      String createdBy,
      OffsetDateTime createdAt,
      OffsetDateTime updatedAt) {
    static ScheduleView of(Schedule s) {
      return new ScheduleView(
          s.id(),
          s.template(),
          s.templateVersion(),
          s.cron(),
          s.timeZone(),
          s.params(),
          s.overlapPolicy().name(),
          s.catchupWindowSeconds(),
          s.paused(),
          utc(s.nextTickAt()),
          s.team(),
          s.createdBy(),
          utc(s.createdAt()),
          utc(s.updatedAt()));
    }
  }

  public record ScheduleList(List<ScheduleView> items) {}

  /**
   * @param status FIRED (runId launched), SKIPPED (reason), PENDING (launching) or BUFFERED
   *     (waiting for the live run to end)
   */
  public record TickView(
      OffsetDateTime tickAt,
      @Schema(enumeration = {"PENDING", "BUFFERED", "FIRED", "SKIPPED"}) String status,
      @Schema(nullable = true) String reason,
      @Schema(nullable = true) String runId,
      OffsetDateTime decidedAt,
      @Schema(nullable = true) OffsetDateTime firedAt) {
    static TickView of(Tick t) {
      return new TickView(
          utc(t.tickAt()), t.status(), t.reason(), t.runId(), utc(t.decidedAt()), utc(t.firedAt()));
    }
  }

  /**
   * @param next pass as {@code before} for the next (older) page; null on the last
   */
  public record TickPage(List<TickView> items, @Schema(nullable = true) String next) {}

  @Operation(summary = "List a template's schedules", description = "Oldest first.")
  @GET
  public ScheduleList list(@PathParam("name") String name) {
    return new ScheduleList(
        schedules.list(name, scope.caller()).stream().map(ScheduleView::of).toList());
  }

  @Operation(
      summary = "Create a schedule",
      description =
          "A cron expression in a time zone that launches the template with the given parameters; "
              + "the expression, the zone and the parameters are checked first, every problem "
              + "answered with its path.")
  @APIResponse(
      responseCode = "201",
      description = "The schedule was created",
      content = @Content(schema = @Schema(implementation = ScheduleView.class)))
  @APIResponse(responseCode = "422", description = "Every problem with its path")
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response create(@PathParam("name") String name, ScheduleBody body) {
    Schedule created = schedules.create(name, definition(body), scope.caller());
    return Response.status(201).entity(ScheduleView.of(created)).build();
  }

  @Operation(summary = "Get a schedule", description = "With its next tick.")
  @GET
  @Path("/{id}")
  public ScheduleView get(@PathParam("name") String name, @PathParam("id") String id) {
    return ScheduleView.of(schedules.get(name, id, scope.caller()));
  }

  @Operation(
      summary = "Replace a schedule",
      description =
          "Replaces the expression, zone, parameters, policy and window (checked as on creation); "
              + "it ticks from now on by the new definition.")
  @PUT
  @Path("/{id}")
  @Consumes(MediaType.APPLICATION_JSON)
  public ScheduleView replace(
      @PathParam("name") String name, @PathParam("id") String id, ScheduleBody body) {
    return ScheduleView.of(schedules.replace(name, id, definition(body), scope.caller()));
  }

  @Operation(
      summary = "Delete a schedule",
      description = "With its ticks; the runs it launched stay.")
  @APIResponse(responseCode = "204", description = "Deleted")
  @DELETE
  @Path("/{id}")
  public Response delete(@PathParam("name") String name, @PathParam("id") String id) {
    schedules.delete(name, id, scope.caller());
    return Response.noContent().build();
  }

  @Operation(
      summary = "Pause a schedule",
      description = "No tick fires until it is resumed; a buffered tick is skipped.")
  @POST
  @Path("/{id}/pause")
  public ScheduleView pause(@PathParam("name") String name, @PathParam("id") String id) {
    return ScheduleView.of(schedules.setPaused(name, id, true, scope.caller()));
  }

  @Operation(
      summary = "Resume a schedule",
      description = "It ticks again from now on; the ticks while it was paused are not caught up.")
  @POST
  @Path("/{id}/resume")
  public ScheduleView resume(@PathParam("name") String name, @PathParam("id") String id) {
    return ScheduleView.of(schedules.setPaused(name, id, false, scope.caller()));
  }

  @Operation(
      summary = "List a schedule's ticks",
      description =
          "Newest first: each tick fired (with the run it launched), skipped (with the reason), "
              + "launching or buffered.")
  @GET
  @Path("/{id}/ticks")
  public TickPage ticks(
      @PathParam("name") String name,
      @PathParam("id") String id,
      @QueryParam("before") String before,
      @QueryParam("limit") @DefaultValue("100") int limit) {
    if (limit < 1 || limit > 1000) {
      throw ApiProblem.invalid(
          List.of(new ApiProblem.FieldError("limit", "must be between 1 and 1000")));
    }
    Instant until = null;
    if (before != null && !before.isBlank()) {
      try {
        until = OffsetDateTime.parse(before).toInstant();
      } catch (DateTimeParseException e) {
        throw ApiProblem.invalid(
            List.of(
                new ApiProblem.FieldError(
                    "before", "must be an ISO-8601 instant such as 2026-01-01T02:00:00Z")));
      }
    }
    List<TickView> page =
        schedules.ticks(name, id, until, limit, scope.caller()).stream().map(TickView::of).toList();
    String next =
        page.size() == limit ? page.get(page.size() - 1).tickAt().toInstant().toString() : null;
    return new TickPage(page, next);
  }

  private static Definition definition(ScheduleBody body) {
    if (body == null) {
      throw ApiProblem.badRequest(
          "$",
          "a JSON body {cron, timeZone, params?, overlapPolicy?, catchupWindowSeconds?} is required");
    }
    return body.definition();
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }
}
