package dev.trainyard.backend.api.audit;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.audit.AuditLog;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The audit log (admins): list and filter events, and verify the hash chain. */
@Path("/api/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {
  @Inject AuditLog log;

  /**
   * A page of events, oldest first; {@code nextAfter} (null on the last page) is the cursor for the
   * next.
   */
  public record AuditPage(List<AuditLog.Event> items, @Schema(nullable = true) Long nextAfter) {}

  @Operation(
      summary = "List audit events",
      description =
          "Admins: events oldest first, filtered by actor and action; pass nextAfter as after for the next page.")
  @GET
  public AuditPage list(
      @QueryParam("actor") String actor,
      @QueryParam("action") String action,
      @QueryParam("after") Long after,
      @QueryParam("limit") @DefaultValue("100") int limit) {
    if (limit < 1 || limit > 1000) {
      throw ApiProblem.badRequest("limit", "must be between 1 and 1000");
    }
    List<AuditLog.Event> events = log.list(actor, action, after, limit);
    Long next = events.size() == limit ? events.get(events.size() - 1).id() : null;
    return new AuditPage(events, next);
  }

  @Operation(
      summary = "Verify the audit hash chain",
      description =
          "Admins: recomputes every event's hash and reports each row where the chain is broken.")
  @GET
  @Path("/verify")
  public AuditLog.Verification verify() {
    return log.verify();
  }
}
