package dev.trainyard.backend.schedules;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.audit.AuditLog;
import dev.trainyard.backend.common.Sha256;
import dev.trainyard.backend.runs.RunService;
import dev.trainyard.backend.security.Caller;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.control.ActivateRequestContext;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Launches a decided tick and records the run it launched. The launch uses the idempotency key
 * {@code schedule:<id>:<tick instant>}, so launching a tick again (after its launcher died between
 * launching and recording) answers the run launched the first time: each tick has at most one run,
 * whichever engine or replica calls this and however often.
 */
@ApplicationScoped
public class TickLauncher {
  private static final Logger LOG = Logger.getLogger(TickLauncher.class);

  @Inject RunService runs;
  @Inject ScheduleRepository repository;
  @Inject AuditLog audit;

  /** Who the run and the audit log name as launcher: the schedule. */
  public static String actor(String scheduleId) {
    return "schedule:" + scheduleId;
  }

  /**
   * @return the run's id, or empty when the tick was not launched: refused (recorded as SKIPPED
   *     with the reason) or failed for a passing reason (left PENDING, tried again next pass)
   */
  @ActivateRequestContext // the launch reads the catalog as a request would
  public Optional<String> launch(Tick tick) {
    Optional<Schedule> schedule =
        QuarkusTransaction.requiringNew().call(() -> repository.get(tick.scheduleId()));
    if (schedule.isEmpty()) {
      return Optional.empty(); // deleted meanwhile; its ticks went with it
    }
    Schedule s = schedule.get();
    // A schedule launches as an operator of its template's team, nothing more.
    Caller caller = new Caller(actor(s.id()), Set.of(Caller.OPERATOR), Set.of(s.team()));
    RunService.Launch launch;
    try {
      launch =
          runs.launch(
              caller, s.template(), tick.templateVersion(), tick.params(), tick.idempotencyKey());
    } catch (ApiProblem refused) {
      if (refused.status() >= 500) {
        LOG.warnf(
            "tick %s of schedule %s not launched yet (%s); trying again",
            tick.tickAt(), s.id(), refused.getMessage());
        return Optional.empty();
      }
      String reason = "launch refused (" + refused.status() + "): " + refused.getMessage();
      QuarkusTransaction.requiringNew()
          .run(() -> repository.setStatus(s.id(), tick.tickAt(), "PENDING", "SKIPPED", reason));
      LOG.warnf("tick %s of schedule %s skipped: %s", tick.tickAt(), s.id(), reason);
      return Optional.empty();
    } catch (RuntimeException unavailable) {
      LOG.warnf(
          "tick %s of schedule %s not launched yet (%s); trying again",
          tick.tickAt(), s.id(), unavailable.toString());
      return Optional.empty();
    }
    String runId = launch.run().id;
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              // Audited when the tick is recorded as fired, once, whichever launch created the run.
              if (repository.fired(s.id(), tick.tickAt(), runId)) {
                audit.append(
                    actor(s.id()),
                    Caller.OPERATOR,
                    s.team(),
                    "SCHEDULE FIRE",
                    "/api/v1/runs/" + runId,
                    201,
                    null,
                    tick.idempotencyKey(),
                    Sha256.of(tick.idempotencyKey()));
              }
            });
    return Optional.of(runId);
  }
}
