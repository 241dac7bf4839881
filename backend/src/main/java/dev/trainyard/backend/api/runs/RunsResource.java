package dev.trainyard.backend.api.runs;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.runs.RunViews.CancelBody;
import dev.trainyard.backend.api.runs.RunViews.LaunchBody;
import dev.trainyard.backend.api.runs.RunViews.RunPage;
import dev.trainyard.backend.api.runs.RunViews.RunSummary;
import dev.trainyard.backend.api.runs.RunViews.RunView;
import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.backend.catalog.StepAttemptEntity;
import dev.trainyard.backend.catalog.StepEntity;
import dev.trainyard.backend.runs.RunService;
import dev.trainyard.backend.runs.StepFilesReader;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.TypedQuery;
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

@Path("/api/v1/runs")
@Produces(MediaType.APPLICATION_JSON)
public class RunsResource {
  @Inject RunService runs;
  @Inject StepFilesReader stepFiles;
  @Inject dev.trainyard.backend.security.TeamScope scope;
  @Inject com.fasterxml.jackson.databind.ObjectMapper json;
  @Inject EntityManager em;

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response launch(LaunchBody body, @HeaderParam("Idempotency-Key") String idempotencyKey) {
    if (body == null) {
      throw ApiProblem.badRequest("$", "a JSON body {template, version?, params} is required");
    }
    if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
      throw ApiProblem.badRequest("Idempotency-Key", "must be 1 to 200 characters");
    }
    RunService.Launch launch = runs.launch(body.template(), body.version(), body.params(), idempotencyKey);
    return Response.status(launch.created() ? 201 : 200).entity(view(launch.run())).build();
  }

  /**
   * Newest first, keyset-paginated; every filter composes with the others, the cursor and team scoping.
   * {@code createdFrom} is inclusive, {@code createdTo} exclusive (a bare date includes that day);
   * {@code q} matches a prefix of the run id, template name or launcher, ignoring case.
   */
  @GET
  public RunPage list(@QueryParam("status") String status, @QueryParam("template") String template,
      @QueryParam("team") String team, @QueryParam("launchedBy") String launchedBy,
      @QueryParam("createdFrom") String createdFrom, @QueryParam("createdTo") String createdTo,
      @QueryParam("q") String q, @QueryParam("limit") @DefaultValue("50") int limit,
      @QueryParam("cursor") String cursor) {
    RunListQuery query = new RunListQuery().status(status).equal("template", "templateName", template)
        .equal("team", "team", team).equal("launchedBy", "launchedBy", launchedBy).created(createdFrom, createdTo)
        .search(q).teams(scope.visibleTeams()).limit(limit).after(cursor).validate();
    // Only the summary's columns: loading entities would parse every run's params and plan (JSONB).
    TypedQuery<Object[]> found = em.createQuery("select id, templateName, templateVersion, status, createdAt, startedAt,"
        + " finishedAt, launchedBy from RunEntity where " + query.where + " order by createdAt desc, id desc", Object[].class);
    query.params.map().forEach(found::setParameter);
    List<RunSummary> rows = found.setMaxResults(limit + 1).getResultList().stream() // one more than a page tells if more exist
        .map(RunSummary::of).toList();
    List<RunSummary> page = rows.subList(0, Math.min(limit, rows.size()));
    String next = null;
    if (rows.size() > limit) {
      RunSummary last = page.get(page.size() - 1);
      next = RunListQuery.cursorOf(last.createdAt(), last.id());
    }
    return new RunPage(page, next);
  }

  @GET
  @Path("/{id}")
  public RunView get(@PathParam("id") String id) {
    return view(runs.get(id));
  }

  @POST
  @Path("/{id}/cancel")
  @Consumes(MediaType.WILDCARD)
  public Response cancel(@PathParam("id") String id, String body) {
    // The body is optional ({"reason": "..."}), so any content type, or none, is accepted.
    String reason = "by " + scope.caller().name();
    if (body != null && !body.isBlank()) {
      try {
        CancelBody parsed = json.readValue(body, CancelBody.class);
        if (parsed != null && parsed.reason() != null && !parsed.reason().isBlank()) {
          reason = parsed.reason();
        }
      } catch (java.io.IOException e) {
        throw ApiProblem.badRequest("$", "expected {\"reason\": \"...\"}: " + e.getMessage());
      }
    }
    return Response.accepted(view(runs.cancel(id, reason))).build();
  }

  @POST
  @Path("/{id}/retry")
  public Response retry(@PathParam("id") String id) {
    return Response.accepted(view(runs.retry(id))).build();
  }

  @POST
  @Path("/{id}/steps/{step}/approve")
  public Response approve(@PathParam("id") String id, @PathParam("step") String step) {
    return Response.accepted(view(runs.approve(id, step, scope.caller().name()))).build();
  }

  @GET
  @Path("/{id}/steps/{step}/log")
  @Produces(MediaType.TEXT_PLAIN)
  public String log(@PathParam("id") String id, @PathParam("step") String step, @QueryParam("attempt") Integer attempt) {
    return stepFiles.log(runs.get(id).id, step, attempt);
  }

  @GET
  @Path("/{id}/steps/{step}/metrics")
  public RunViews.StepMetrics metrics(@PathParam("id") String id, @PathParam("step") String step,
      @QueryParam("attempt") Integer attempt) {
    return new RunViews.StepMetrics(stepFiles.metrics(runs.get(id).id, step, attempt));
  }

  private RunView view(RunEntity run) {
    return RunView.of(run, StepEntity.ofRun(run.id), StepAttemptEntity.ofRun(run.id), runs.completedOutputs(run.id));
  }
}
