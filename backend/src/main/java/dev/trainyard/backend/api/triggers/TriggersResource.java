package dev.trainyard.backend.api.triggers;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.security.TeamScope;
import dev.trainyard.backend.triggers.TriggerService;
import dev.trainyard.backend.triggers.Triggers.Firing;
import dev.trainyard.backend.triggers.Triggers.Trigger;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/** A template's launch triggers (docs/webhooks.md, "Triggers") and what each one launched. */
@Path("/api/v1/templates/{name}/triggers")
@Produces(MediaType.APPLICATION_JSON)
public class TriggersResource {

  @Inject TriggerService triggers;
  @Inject TeamScope scope;

  public record CreateBody(
      @Schema(enumeration = {"dataset.version.registered", "alias.moved", "run.ended"})
          String event,
      @Schema(
              nullable = true,
              description = "dataset: its name; alias.moved: alias; run.ended: template and status")
          Map<String, String> match,
      @Schema(
              nullable = true,
              description = "values or ${{ event.* }} expressions",
              additionalProperties = dev.trainyard.backend.api.openapi.ParamValue.class)
          Map<String, Object> params,
      @Schema(nullable = true, description = "null: the latest version at each launch")
          Integer version) {}

  public record TriggerList(List<Trigger> items) {}

  public record FiringList(List<Firing> items) {}

  @Operation(
      summary = "Add a launch trigger",
      description =
          "Launches this template when the event happens in its team, with parameters bound from the event.")
  @APIResponse(
      responseCode = "201",
      description = "The trigger",
      content = @Content(schema = @Schema(implementation = Trigger.class)))
  @APIResponse(responseCode = "422", description = "Every problem of the body with its path")
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response create(@PathParam("name") String name, CreateBody body) {
    if (body == null) {
      throw ApiProblem.badRequest(
          "$", "a JSON body {event, match?, params?, version?} is required");
    }
    return Response.status(201)
        .entity(
            triggers.create(
                name,
                new TriggerService.NewTrigger(
                    body.event(), body.match(), body.params(), body.version()),
                scope.caller()))
        .build();
  }

  @Operation(summary = "List a template's triggers", description = "Oldest first.")
  @GET
  public TriggerList list(@PathParam("name") String name) {
    return new TriggerList(triggers.list(name, scope.caller()));
  }

  @Operation(summary = "Delete a trigger", description = "Runs it launched stay.")
  @APIResponse(responseCode = "204", description = "Deleted")
  @DELETE
  @Path("/{id}")
  public Response delete(@PathParam("name") String name, @PathParam("id") String id) {
    triggers.delete(name, id, scope.caller());
    return Response.noContent().build();
  }

  @Operation(
      summary = "A trigger's firings",
      description = "Each event that fired it, newest first, with the run it launched or why not.")
  @GET
  @Path("/{id}/firings")
  public FiringList firings(@PathParam("name") String name, @PathParam("id") String id) {
    return new FiringList(triggers.firings(name, id, scope.caller()));
  }
}
