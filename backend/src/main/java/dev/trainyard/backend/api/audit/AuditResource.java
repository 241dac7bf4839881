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
import java.util.Map;

/** The audit log (admins): list and filter events, and verify the hash chain. */
@Path("/api/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {
  @Inject AuditLog log;

  @GET
  public Map<String, Object> list(@QueryParam("actor") String actor, @QueryParam("action") String action,
      @QueryParam("after") Long after, @QueryParam("limit") @DefaultValue("100") int limit) {
    if (limit < 1 || limit > 1000) {
      throw ApiProblem.badRequest("limit", "must be between 1 and 1000");
    }
    List<AuditLog.Event> events = log.list(actor, action, after, limit);
    Long next = events.size() == limit ? events.get(events.size() - 1).id() : null;
    return next == null ? Map.of("items", events) : Map.of("items", events, "nextAfter", next);
  }

  @GET
  @Path("/verify")
  public AuditLog.Verification verify() {
    return log.verify();
  }
}
