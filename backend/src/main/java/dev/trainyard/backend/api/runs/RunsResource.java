package dev.trainyard.backend.api.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.runs.RunViews.CancelBody;
import dev.trainyard.backend.api.runs.RunViews.LaunchBody;
import dev.trainyard.backend.api.runs.RunViews.RunPage;
import dev.trainyard.backend.api.runs.RunViews.RunSummary;
import dev.trainyard.backend.api.runs.RunViews.RunView;
import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.backend.catalog.StepAttemptEntity;
import dev.trainyard.backend.catalog.StepEntity;
import dev.trainyard.backend.runs.RunControl;
import dev.trainyard.backend.runs.RunReader;
import dev.trainyard.backend.runs.RunRepository.RunFilter;
import dev.trainyard.backend.runs.RunService;
import dev.trainyard.backend.runs.StepFilesReader;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

@Path("/api/v1/runs")
@Produces(MediaType.APPLICATION_JSON)
public class RunsResource {
  @Inject RunService launcher;
  @Inject RunControl control;
  @Inject RunReader runs;
  @Inject StepFilesReader stepFiles;
  @Inject dev.trainyard.backend.security.TeamScope scope;
  @Inject com.fasterxml.jackson.databind.ObjectMapper json;

  @Operation(
      summary = "Launch a run",
      description =
          "Starts a run of a template version with the given parameters, validated first. With an Idempotency-Key, repeating the request answers the run it created; the same key with a different body is refused.")
  @APIResponse(
      responseCode = "201",
      description = "The run was created",
      content = @Content(schema = @Schema(implementation = RunView.class)))
  @APIResponse(
      responseCode = "200",
      description = "The run this Idempotency-Key created before, for the same body",
      content = @Content(schema = @Schema(implementation = RunView.class)))
  @APIResponse(
      responseCode = "422",
      description =
          "The body is invalid (every problem with its path), or this Idempotency-Key was used with another body")
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response launch(LaunchBody body, @HeaderParam("Idempotency-Key") String idempotencyKey) {
    if (body == null) {
      throw ApiProblem.badRequest("$", "a JSON body {template, version?, params} is required");
    }
    if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
      throw ApiProblem.badRequest("Idempotency-Key", "must be 1 to 200 characters");
    }
    RunService.Launch launch =
        launcher.launch(body.template(), body.version(), body.params(), idempotencyKey);
    return Response.status(launch.created() ? 201 : 200).entity(view(launch.run())).build();
  }

  /**
   * Newest first, keyset-paginated; every filter composes with the others, the cursor and team
   * scoping. {@code createdFrom} is inclusive, {@code createdTo} exclusive (a bare date includes
   * that day); {@code q} matches a prefix of the run id, template name or launcher, ignoring case.
   */
  @Operation(
      summary = "List runs",
      description =
          "Newest first, keyset-paginated; filters compose with each other, the cursor and team scoping.")
  @GET
  public RunPage list(
      @QueryParam("status") String status,
      @QueryParam("template") String template,
      @QueryParam("team") String team,
      @QueryParam("launchedBy") String launchedBy,
      @QueryParam("createdFrom") String createdFrom,
      @QueryParam("createdTo") String createdTo,
      @QueryParam("q") String q,
      @QueryParam("limit") @DefaultValue("50") int limit,
      @QueryParam("cursor") String cursor) {
    RunFilter filter =
        new RunListQuery()
            .status(status)
            .template(template)
            .team(team)
            .launchedBy(launchedBy)
            .created(createdFrom, createdTo)
            .search(q)
            .teams(scope.visibleTeams())
            .limit(limit)
            .after(cursor)
            .validate();
    List<RunSummary> rows = // one more than a page tells if more exist
        runs.list(filter, limit + 1).stream().map(RunSummary::of).toList();
    List<RunSummary> page = rows.subList(0, Math.min(limit, rows.size()));
    String next = null;
    if (rows.size() > limit) {
      RunSummary last = page.get(page.size() - 1);
      next = RunListQuery.cursorOf(last.createdAt(), last.id());
    }
    return new RunPage(page, next);
  }

  @Operation(
      summary = "Get a run",
      description = "A run with its steps, their attempts and outputs.")
  @GET
  @Path("/{id}")
  public RunView get(@PathParam("id") String id) {
    return view(runs.get(id));
  }

  @Operation(
      summary = "Cancel a run",
      description =
          "Cancels a run that has not ended; the body, optional, is {\"reason\": \"...\"}. Running step processes are killed.")
  @APIResponse(
      responseCode = "202",
      description = "Cancellation was requested",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = RunView.class)))
  @POST
  @Path("/{id}/cancel")
  @Consumes(MediaType.WILDCARD)
  public Response cancel(@PathParam("id") String id, String body) throws JsonProcessingException {
    // The body is optional ({"reason": "..."}), so any content type, or none, is accepted.
    String reason = "by " + scope.caller().name();
    if (body != null && !body.isBlank()) {
      // A bad body is answered as any other (ProblemMappers.badJson): its path, line and column.
      CancelBody parsed = json.readValue(body, CancelBody.class);
      if (parsed != null && parsed.reason() != null && !parsed.reason().isBlank()) {
        reason = parsed.reason();
      }
    }
    return Response.accepted(view(control.cancel(id, reason))).build();
  }

  @Operation(
      summary = "Retry a run",
      description =
          "Runs a failed, cancelled or interrupted run again from its unfinished steps, reusing every completed step's outputs.")
  @APIResponse(
      responseCode = "202",
      description = "The retry was started",
      content = @Content(schema = @Schema(implementation = RunView.class)))
  @POST
  @Path("/{id}/retry")
  public Response retry(@PathParam("id") String id) {
    return Response.accepted(view(control.retry(id))).build();
  }

  @Operation(
      summary = "Approve a step",
      description = "Lets an approval step that is waiting go on.")
  @APIResponse(
      responseCode = "202",
      description = "The approval was sent to the run",
      content = @Content(schema = @Schema(implementation = RunView.class)))
  @POST
  @Path("/{id}/steps/{step}/approve")
  public Response approve(@PathParam("id") String id, @PathParam("step") String step) {
    return Response.accepted(view(control.approve(id, step, scope.caller().name()))).build();
  }

  @Operation(
      summary = "A step attempt's log",
      description = "Its stdout and stderr as text; the latest attempt unless one is named.")
  @GET
  @Path("/{id}/steps/{step}/log")
  @Produces(MediaType.TEXT_PLAIN)
  public String log(
      @PathParam("id") String id,
      @PathParam("step") String step,
      @QueryParam("attempt") Integer attempt) {
    return stepFiles.log(runs.get(id).id, step, attempt);
  }

  @Operation(
      summary = "A step attempt's metrics",
      description =
          "Every metric point the step wrote to its metrics file; the latest attempt unless one is named.")
  @GET
  @Path("/{id}/steps/{step}/metrics")
  public RunViews.StepMetrics metrics(
      @PathParam("id") String id,
      @PathParam("step") String step,
      @QueryParam("attempt") Integer attempt) {
    return new RunViews.StepMetrics(stepFiles.metrics(runs.get(id).id, step, attempt));
  }

  private RunView view(RunEntity run) {
    return RunView.of(
        run,
        StepEntity.ofRun(run.id),
        StepAttemptEntity.ofRun(run.id),
        runs.completedOutputs(run.id));
  }
}
