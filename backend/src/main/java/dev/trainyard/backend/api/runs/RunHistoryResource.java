package dev.trainyard.backend.api.runs;

import dev.trainyard.backend.runs.RunHistory;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A run's Temporal workflow history, readable, for debugging (the run page's "History" tab). */
@Path("/api/v1/runs")
@Produces(MediaType.APPLICATION_JSON)
public class RunHistoryResource {
  @Inject RunHistory history;

  public record HistoryEvent(
      long eventId,
      Instant time,
      @Schema(description = "Temporal's event type, e.g. ACTIVITY_TASK_FAILED") String type,
      @Schema(nullable = true, description = "The activity (or signal) the event concerns")
          String activity,
      @Schema(nullable = true) String stepId,
      @Schema(nullable = true, description = "The activity's attempt (Temporal's retry count)")
          Integer attempt,
      @Schema(nullable = true, description = "The failure's message and its causes'")
          String failure) {}

  public record HistoryPage(
      List<HistoryEvent> items,
      @Schema(nullable = true, description = "Pass as ?after= for the next page; null at the end")
          Long nextAfter) {}

  @Operation(
      summary = "A run's event history",
      description =
          "The run's workflow history from Temporal, oldest first: event id, time, type, activity, step, attempt and failure message. Paged by event id.")
  @GET
  @Path("/{id}/history")
  public HistoryPage history(
      @PathParam("id") String id,
      @QueryParam("after") @DefaultValue("0") long after,
      @QueryParam("limit") @DefaultValue("100") int limit) {
    RunHistory.Page page = history.page(id, after, limit);
    return new HistoryPage(
        page.items().stream()
            .map(
                e ->
                    new HistoryEvent(
                        e.eventId(),
                        e.time(),
                        e.type(),
                        e.activity(),
                        e.stepId(),
                        e.attempt(),
                        e.failure()))
            .toList(),
        page.nextAfter());
  }
}
