package dev.trainyard.backend.api.webhooks;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.security.TeamScope;
import dev.trainyard.backend.webhooks.WebhookService;
import dev.trainyard.backend.webhooks.WebhookService.NewSubscription;
import dev.trainyard.backend.webhooks.Webhooks.Delivery;
import dev.trainyard.backend.webhooks.Webhooks.Subscription;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.OffsetDateTime;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * A team's outgoing webhooks (docs/webhooks.md): subscriptions, their delivery logs, redelivery.
 * Team-scoped like runs and templates: another team's subscription answers 404.
 */
@Path("/api/v1/webhooks")
@Produces(MediaType.APPLICATION_JSON)
public class WebhooksResource {

  @Inject WebhookService webhooks;
  @Inject TeamScope scope;

  public record CreateBody(
      @Schema(description = "The http(s) URL events are POSTed to") String url,
      @Schema(description = "Event types ('run.ended'), prefixes ('run.*') or '*'")
          List<String> events,
      @Schema(nullable = true) String description,
      @Schema(nullable = true, description = "The owning team; the caller's first by default")
          String team) {}

  /** The subscription with its signing secret: the only answer that ever shows it. */
  public record CreatedView(
      String id,
      String team,
      String url,
      List<String> events,
      @Schema(nullable = true) String description,
      OffsetDateTime createdAt,
      String createdBy,
      @Schema(description = "whsec_<base64>: verify each delivery's webhook-signature with it")
          String secret) {}

  public record SubscriptionList(List<Subscription> items) {}

  public record DeliveryList(List<Delivery> items) {}

  public record Redelivery(long deliveryId) {}

  @Operation(
      summary = "Subscribe to events",
      description =
          "Creates a webhook subscription of a team. The answer carries the signing secret, shown only this once.")
  @APIResponse(
      responseCode = "201",
      description = "Subscribed",
      content = @Content(schema = @Schema(implementation = CreatedView.class)))
  @APIResponse(
      responseCode = "422",
      description = "Every problem of the body with its path (url, events[i], ...)")
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response create(CreateBody body) {
    if (body == null) {
      throw ApiProblem.badRequest(
          "$", "a JSON body {url, events, description?, team?} is required");
    }
    String team = scope.teamForNew(body.team());
    WebhookService.Created created =
        webhooks.create(
            new NewSubscription(body.url(), body.events(), body.description(), team),
            team,
            scope.caller());
    Subscription s = created.subscription();
    return Response.status(201)
        .entity(
            new CreatedView(
                s.id(),
                s.team(),
                s.url(),
                s.events(),
                s.description(),
                s.createdAt(),
                s.createdBy(),
                created.secret()))
        .build();
  }

  @Operation(summary = "List webhook subscriptions", description = "Of the caller's teams.")
  @GET
  public SubscriptionList list() {
    return new SubscriptionList(webhooks.list(scope.caller()));
  }

  @Operation(summary = "Get a webhook subscription", description = "Without its secret.")
  @GET
  @Path("/{id}")
  public Subscription get(@PathParam("id") String id) {
    return webhooks.get(id, scope.caller());
  }

  @Operation(
      summary = "Delete a webhook subscription",
      description = "With its delivery log; no delivery is made after.")
  @APIResponse(responseCode = "204", description = "Deleted")
  @DELETE
  @Path("/{id}")
  public Response delete(@PathParam("id") String id) {
    webhooks.delete(id, scope.caller());
    return Response.noContent().build();
  }

  @Operation(
      summary = "A subscription's delivery log",
      description =
          "Its deliveries, newest first, each with every attempt: the receiver's status, the first KiB of its answer, the duration, or why there was no answer.")
  @GET
  @Path("/{id}/deliveries")
  public DeliveryList deliveries(
      @PathParam("id") String id, @QueryParam("limit") @DefaultValue("50") int limit) {
    if (limit < 1 || limit > 500) {
      throw ApiProblem.badRequest("limit", "must be 1 to 500");
    }
    return new DeliveryList(webhooks.deliveries(id, limit, scope.caller()));
  }

  @Operation(
      summary = "Redeliver",
      description =
          "Sends a delivery's event again, as a new delivery with the same webhook-id, whatever became of the first.")
  @APIResponse(
      responseCode = "202",
      description = "The new delivery is queued",
      content = @Content(schema = @Schema(implementation = Redelivery.class)))
  @POST
  @Path("/{id}/deliveries/{delivery}/redeliver")
  public Response redeliver(@PathParam("id") String id, @PathParam("delivery") long delivery) {
    return Response.accepted(new Redelivery(webhooks.redeliver(id, delivery, scope.caller())))
        .build();
  }
}
