package dev.trainyard.backend.api.runs;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.runs.RunViews.RunView;
import dev.trainyard.backend.catalog.StepAttemptEntity;
import dev.trainyard.backend.catalog.StepEntity;
import dev.trainyard.backend.runs.RunReader;
import dev.trainyard.workflow.RunStatus;
import io.quarkus.arc.Arc;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.control.ActivateRequestContext;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * Live run updates as server-sent events: the run (with steps and attempts) each time it changes,
 * ending after it reaches a final status. The catalog is the source, so every client sees the same
 * thing whichever backend instance it is connected to.
 *
 * <p>An open stream holds no thread (issue 11 M4: 205 streams used to pin 200 worker threads and
 * starve {@code GET /runs}): a timer ticks, each tick loads a snapshot on a virtual thread, and at
 * most {@link #CONCURRENT_LOADS} loads hold a database connection at once, so requests keep theirs.
 * Each caller may hold a bounded number of streams; one more is answered 429.
 */
@Path("/api/v1/runs")
public class RunEventsResource {
  private static final Duration POLL = Duration.ofMillis(500);
  static final int CONCURRENT_LOADS = 4;
  private static final ExecutorService LOADS = Executors.newVirtualThreadPerTaskExecutor();
  private static final Semaphore LOAD_PERMITS = new Semaphore(CONCURRENT_LOADS);
  private static final ConcurrentHashMap<String, AtomicInteger> OPEN = new ConcurrentHashMap<>();

  @Inject RunReader runs;
  @Inject Snapshots snapshots;
  @Inject dev.trainyard.backend.security.TeamScope scope;

  @Inject dev.trainyard.backend.config.TrainyardConfig config;

  @Operation(
      summary = "Watch a run",
      description =
          "Server-sent events: the run each time it changes, ending after it reaches a final status.")
  @GET
  @Path("/{id}/events")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @RestStreamElementType(MediaType.APPLICATION_JSON)
  @io.smallrye.common.annotation
      .Blocking // the checks below use the database; the stream then holds no thread
  public Multi<RunView> events(@PathParam("id") String id) {
    int maxStreamsPerCaller = config.events().maxStreamsPerCaller();
    runs.get(id); // 404 (also for another team's run) before the stream starts
    String caller = scope.caller().name();
    AtomicInteger open = OPEN.computeIfAbsent(caller, k -> new AtomicInteger());
    if (open.incrementAndGet() > maxStreamsPerCaller) {
      open.decrementAndGet();
      throw new ApiProblem(
          429,
          "Too Many Requests",
          "at most "
              + maxStreamsPerCaller
              + " event streams per caller are open at once; close one first",
          List.of());
    }
    try {
      return stream(id).onTermination().invoke(open::decrementAndGet);
    } catch (RuntimeException e) {
      open.decrementAndGet();
      throw e;
    }
  }

  private Multi<RunView> stream(String id) {
    RunView end =
        new RunView(null, null, 0, null, null, null, null, null, 0, null, null, null, null);
    AtomicReference<RunView> last = new AtomicReference<>();
    return Multi.createFrom()
        .ticks()
        .startingAfter(Duration.ofMillis(1))
        .every(POLL)
        .onOverflow()
        .drop()
        .onItem()
        .transformToUniAndConcatenate(
            tick -> Uni.createFrom().item(() -> load(id)).runSubscriptionOn(LOADS))
        .filter(view -> !view.equals(last.getAndSet(view)))
        // Emit the final view, then end: the sentinel after it stops the stream.
        .onItem()
        .transformToIterable(
            view ->
                RunStatus.valueOf(view.status()).terminal() ? List.of(view, end) : List.of(view))
        .select()
        .first(view -> view != end);
  }

  private RunView load(String id) {
    try {
      LOAD_PERMITS.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting to load run " + id, e);
    }
    try {
      return snapshots.load(id);
    } finally {
      LOAD_PERMITS.release();
    }
  }

  /** Streams open now for a caller (tests and metrics). */
  static int openStreams(String caller) {
    AtomicInteger open = OPEN.get(caller);
    return open == null ? 0 : open.get();
  }

  /** Loads a run view in its own request context (the stream outlives the HTTP request's). */
  @ApplicationScoped
  public static class Snapshots {
    @ActivateRequestContext
    public RunView load(String id) {
      // A new transaction means a new session: never the stale entities of an earlier tick.
      return io.quarkus.narayana.jta.QuarkusTransaction.requiringNew()
          .call(
              () -> {
                var run =
                    dev.trainyard.backend.catalog.RunEntity
                        .<dev.trainyard.backend.catalog.RunEntity>findById(id);
                RunReader service = Arc.container().instance(RunReader.class).get();
                return RunView.of(
                    Objects.requireNonNull(run),
                    StepEntity.ofRun(id),
                    StepAttemptEntity.ofRun(id),
                    service.completedOutputs(id));
              });
    }
  }
}
