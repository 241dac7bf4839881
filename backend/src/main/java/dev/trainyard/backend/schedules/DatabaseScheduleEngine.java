package dev.trainyard.backend.schedules;

import dev.trainyard.backend.config.TrainyardConfig;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Fires schedules from PostgreSQL. Every replica polls; only the holder of the lease (one row, an
 * owner and an expiry, renewed each poll) decides and launches ticks. That is for economy, not
 * correctness: a tick is decided once (the schedule's row is locked while its cursor moves and the
 * tick's row is unique) and launched with its idempotency key, so two holders at once, or a holder
 * that dies between launching and recording, still give each tick at most one run.
 *
 * <p>After a crash the lease expires ({@code trainyard.schedules.lease-ttl}) and another replica,
 * or the restarted one, takes it and goes on from each schedule's cursor: ticks missed meanwhile
 * are launched if inside the catch-up window, else recorded as skipped.
 */
@ApplicationScoped
public class DatabaseScheduleEngine implements ScheduleEngine {
  private static final Logger LOG = Logger.getLogger(DatabaseScheduleEngine.class);

  @Inject ScheduleRepository repository;
  @Inject TickLauncher launcher;

  @Inject TrainyardConfig config;

  /** This process: a restarted backend is a new owner and waits for its old lease to expire. */
  final String owner =
      ProcessHandle.current().pid()
          + "-"
          + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());

  private final Clock clock = Clock.systemUTC();
  private ScheduledExecutorService timer;
  private volatile boolean holding;

  /** After the Temporal service and workers (10) and the resumption of interrupted runs (50). */
  void start(@Observes @Priority(60) StartupEvent event) {
    if (!config.schedules().enabled()) {
      LOG.info("schedules are off (trainyard.schedules.enabled=false): no ticks fire here");
      return;
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "trainyard-schedules");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(
        this::poll, 0, config.schedules().pollInterval().toMillis(), TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent event) {
    if (timer == null) {
      return;
    }
    timer.shutdownNow();
    try {
      timer.awaitTermination(10, TimeUnit.SECONDS);
      // A clean stop hands the lease on at once instead of after its expiry.
      QuarkusTransaction.requiringNew().run(() -> repository.releaseLease(owner));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.debugf("lease not released at shutdown: %s", e.getMessage());
    }
  }

  private void poll() {
    try {
      boolean held = pass(owner, clock.instant());
      if (held != holding) {
        holding = held;
        LOG.infof(held ? "took the schedules lease (%s)" : "lost the schedules lease (%s)", owner);
      }
    } catch (RuntimeException e) {
      // The database may be away for a while; the next poll tries again.
      LOG.warnf("schedules poll failed: %s", e.toString());
    }
  }

  /**
   * One poll as {@code contender}: take or renew the lease and, if held, decide every due tick,
   * release buffered ticks whose live run ended, and launch the ticks decided to launch. Public so
   * a test can race a second contender against this process on the same database.
   *
   * @return whether {@code contender} held the lease
   */
  public boolean pass(String contender, Instant now) {
    boolean held =
        QuarkusTransaction.requiringNew()
            .call(
                () -> repository.acquireLease(contender, config.schedules().leaseTtl().toMillis()));
    if (!held) {
      return false;
    }
    for (String id : QuarkusTransaction.requiringNew().call(() -> repository.due(now))) {
      QuarkusTransaction.requiringNew().run(() -> decide(contender, id, now));
    }
    for (String id : QuarkusTransaction.requiringNew().call(repository::withBuffered)) {
      QuarkusTransaction.requiringNew().run(() -> releaseBuffered(contender, id));
    }
    List<Tick> pending = QuarkusTransaction.requiringNew().call(() -> repository.pending(100));
    for (Tick tick : pending) {
      launcher.launch(tick);
    }
    return true;
  }

  private void decide(String contender, String scheduleId, Instant now) {
    if (!repository.holdsLease(contender)) {
      return;
    }
    Optional<Schedule> locked = repository.lockIfDue(scheduleId, now);
    if (locked.isEmpty()) {
      return; // another decider has it, or it was paused or moved on meanwhile
    }
    Schedule s = locked.get();
    TickPlanner.Plan plan =
        TickPlanner.plan(
            s.cronSchedule(),
            s.overlapPolicy(),
            Duration.ofSeconds(s.catchupWindowSeconds()),
            s.nextTickAt(),
            now,
            repository.hasLive(s.id()),
            repository.buffered(s.id()).isPresent());
    for (TickPlanner.Decision d : plan.decisions()) {
      repository.insertTick(
          s.id(), d.tick(), d.outcome().name(), d.reason(), s.templateVersion(), s.params());
    }
    repository.moveCursor(s.id(), plan.nextAfter());
  }

  private void releaseBuffered(String contender, String scheduleId) {
    if (!repository.holdsLease(contender) || repository.hasLive(scheduleId)) {
      return;
    }
    repository
        .buffered(scheduleId)
        .ifPresent(t -> repository.setStatus(scheduleId, t.tickAt(), "BUFFERED", "PENDING", null));
  }

  /** A new, changed or resumed schedule ticks from now on; a paused one has no next tick. */
  @Override
  public void changed(Schedule schedule) {
    Instant next =
        schedule.paused() ? null : schedule.cronSchedule().next(clock.instant()).orElse(null);
    repository.moveCursor(schedule.id(), next);
    if (schedule.paused()) {
      repository
          .buffered(schedule.id())
          .ifPresent(
              t ->
                  repository.setStatus(
                      schedule.id(), t.tickAt(), "BUFFERED", "SKIPPED", "paused while buffered"));
    }
  }

  @Override
  public void deleted(String scheduleId) {
    // Its rows are gone; nothing of it is held outside them.
  }

  /** The lease's current owner, for the API's view of the scheduler. */
  public Optional<String> leaseOwner() {
    return QuarkusTransaction.requiringNew().call(repository::leaseOwner);
  }

  public String owner() {
    return owner;
  }
}
