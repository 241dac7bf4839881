package dev.trainyard.backend.api.retention;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.ApiProblem.FieldError;
import dev.trainyard.backend.audit.AuditRequest;
import dev.trainyard.backend.catalog.TemplateEntity;
import dev.trainyard.backend.retention.RetentionService;
import dev.trainyard.backend.retention.RetentionService.Policy;
import dev.trainyard.backend.retention.RetentionService.Report;
import dev.trainyard.backend.security.TeamScope;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * A template's checkpoint retention: the policy (admins set it), a dry-run plan anyone who sees the
 * template may read, and applying it (admins), which answers the same report with what it did.
 */
@Path("/api/v1/templates/{name}/retention")
@Produces(MediaType.APPLICATION_JSON)
public class RetentionResource {
  @Inject RetentionService retention;
  @Inject TeamScope scope;
  @Inject AuditRequest request;

  public record PolicyBody(Integer keepLastIntermediate, Integer keepLastFinals) {}

  public record ApplyBody(Boolean dryRun) {}

  @Operation(
      summary = "Get a retention policy",
      description =
          "How many of a template's newest intermediate and final checkpoints retention keeps.")
  @APIResponse(
      responseCode = "200",
      description = "The policy",
      content = @Content(schema = @Schema(implementation = Policy.class)))
  @APIResponse(
      responseCode = "204",
      description =
          "No policy is set: retention deletes nothing. Not a 404, which would say the"
              + " template is missing (and which a browser logs as an error on every template page).")
  @GET
  public Response get(@PathParam("name") String name) {
    return retention
        .findPolicy(template(name).name)
        .map(p -> Response.ok(p).build())
        .orElseGet(() -> Response.noContent().build());
  }

  @Operation(
      summary = "Set a retention policy",
      description = "Admins set how many of the newest intermediate and final checkpoints to keep.")
  @PUT
  @Consumes(MediaType.APPLICATION_JSON)
  public Policy put(@PathParam("name") String name, PolicyBody body) {
    TemplateEntity template = template(name);
    List<FieldError> problems = new ArrayList<>();
    if (body == null || body.keepLastIntermediate() == null) {
      problems.add(
          new FieldError(
              "keepLastIntermediate",
              "required: how many of the newest intermediate checkpoints to keep (0 or more)"));
    } else if (body.keepLastIntermediate() < 0) {
      problems.add(new FieldError("keepLastIntermediate", "must be 0 or more"));
    }
    if (body != null && body.keepLastFinals() != null && body.keepLastFinals() < 0) {
      problems.add(
          new FieldError(
              "keepLastFinals", "must be 0 or more, or null to keep every final checkpoint"));
    }
    if (!problems.isEmpty()) {
      throw ApiProblem.invalid(problems);
    }
    return retention.setPolicy(
        template.name, body.keepLastIntermediate(), body.keepLastFinals(), scope.caller().name());
  }

  @Operation(
      summary = "Plan retention",
      description = "A dry run: what applying the policy now would delete and keep, and why.")
  @GET
  @Path("/plan")
  public Report plan(@PathParam("name") String name) {
    return retention.plan(template(name));
  }

  @Operation(
      summary = "Apply retention",
      description =
          "Admins delete the checkpoints the policy does not keep (dryRun: only plan); answers what it did.")
  @POST
  @Path("/apply")
  @Consumes(MediaType.APPLICATION_JSON)
  public Report apply(@PathParam("name") String name, ApplyBody body) {
    TemplateEntity template = template(name);
    if (body != null && Boolean.TRUE.equals(body.dryRun())) {
      return retention.plan(template);
    }
    return retention.apply(
        template,
        new RetentionService.Requester(
            scope.caller(), request.clientAddress(), request.requestId()));
  }

  private TemplateEntity template(String name) {
    TemplateEntity template = TemplateEntity.findById(name);
    if (template == null || !scope.caller().sees(template.team)) {
      throw ApiProblem.notFound("no template named '" + name + "'");
    }
    return template;
  }
}
