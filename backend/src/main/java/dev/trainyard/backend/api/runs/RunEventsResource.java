package dev.trainyard.backend.api.runs;

import dev.trainyard.backend.api.runs.RunViews.RunView;
import dev.trainyard.backend.catalog.StepAttemptEntity;
import dev.trainyard.backend.catalog.StepEntity;
import dev.trainyard.backend.runs.RunService;
import dev.trainyard.workflow.RunStatus;
import io.quarkus.arc.Arc;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.control.ActivateRequestContext;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.Objects;
import org.jboss.resteasy.reactive.RestStreamElementType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * Live run updates as server-sent events: the run (with steps and attempts) each time it changes,
 * ending after it reaches a final status. The catalog is the source, so every client sees the same
 * thing whichever backend instance it is connected to.
 */
@Path("/api/v1/runs")
public class RunEventsResource {
  private static final Duration POLL = Duration.ofMillis(500);

  @Inject RunService runs;
  @Inject Snapshots snapshots;

  @Operation(summary = "Watch a run",
      description = "Server-sent events: the run each time it changes, ending after it reaches a final status.")
  @GET
  @Path("/{id}/events")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @RestStreamElementType(MediaType.APPLICATION_JSON)
  @io.smallrye.common.annotation.Blocking
  public Multi<RunView> events(@PathParam("id") String id) {
    runs.get(id); // 404 (also for another team's run) before the stream starts
    return Multi.createFrom().emitter(emitter -> Infrastructure.getDefaultWorkerPool().execute(() -> {
      RunView last = null;
      try {
        while (!emitter.isCancelled()) {
          RunView view = snapshots.load(id);
          if (!view.equals(last)) {
            emitter.emit(view);
            last = view;
          }
          if (RunStatus.valueOf(view.status()).terminal()) {
            emitter.complete();
            return;
          }
          Thread.sleep(POLL.toMillis());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        emitter.complete();
      } catch (RuntimeException e) {
        emitter.fail(e);
      }
    }));
  }

  /** Loads a run view in its own request context (the stream outlives the HTTP request's). */
  @ApplicationScoped
  public static class Snapshots {
    @ActivateRequestContext
    public RunView load(String id) {
      // A new transaction means a new session: never the stale entities of an earlier tick.
      return io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() -> {
        var run = dev.trainyard.backend.catalog.RunEntity.<dev.trainyard.backend.catalog.RunEntity>findById(id);
        RunService service = Arc.container().instance(RunService.class).get();
        return RunView.of(Objects.requireNonNull(run), StepEntity.ofRun(id), StepAttemptEntity.ofRun(id),
            service.completedOutputs(id));
      });
    }
  }
}
