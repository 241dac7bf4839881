package dev.trainyard.backend.local;

import dev.trainyard.backend.audit.AuditLog;
import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.backend.runs.RunControl;
import dev.trainyard.backend.runs.RunRepository;
import dev.trainyard.backend.temporal.TemporalRuntime;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The embedded Temporal service keeps its state in memory, so after a restart of local mode no
 * execution of an in-flight run exists any more. Such runs are marked INTERRUPTED at start (before
 * the workers poll) and then, unless {@code trainyard.local.resume-interrupted} is off, retried at
 * once: retry-from-failed reuses the steps that had completed, and a training step resumes from its
 * last checkpoint. Each automatic retry is in the audit log as {@code RUN RESUME} by {@code
 * trainyard}.
 */
@ApplicationScoped
public class InterruptedRuns {
  private static final Logger LOG = Logger.getLogger(InterruptedRuns.class);
  static final String REASON =
      "interrupted: Trainyard stopped while this ran; retry the run to continue";

  /** Who the audit log names for a retry nobody asked for. */
  static final String ACTOR = "trainyard";

  @Inject dev.trainyard.backend.events.DomainEvents events;
  @Inject TemporalRuntime temporal;
  @Inject RunRepository runs;
  @Inject RunControl control;
  @Inject AuditLog audit;
  @Inject TrainyardConfig config;

  private volatile List<String> interrupted = List.of();

  void sweep(@Observes @Priority(5) StartupEvent event) {
    if (!temporal.isEmbedded()) {
      return;
    }
    interrupted =
        QuarkusTransaction.requiringNew()
            .call(
                () -> {
                  List<String> ended = runs.markInFlightInterrupted(REASON);
                  ended.forEach(events::runEnded); // each ended run has its run.ended event
                  return ended;
                });
    if (!interrupted.isEmpty()) {
      LOG.warnf(
          "%d run(s) were in flight when Trainyard last stopped; marked INTERRUPTED%s",
          interrupted.size(),
          config.local().resumeInterrupted()
              ? ", resuming them now"
              : " (trainyard.local.resume-interrupted is off: retry them to continue)");
    }
  }

  /** After the Temporal service and the workers are up (TemporalRuntime starts at 10). */
  void resume(@Observes @Priority(50) StartupEvent event) {
    if (!config.local().resumeInterrupted()) {
      return;
    }
    for (String runId : interrupted) {
      try {
        QuarkusTransaction.requiringNew().run(() -> control.resumeInterrupted(runId));
        QuarkusTransaction.requiringNew()
            .run(
                () ->
                    audit.append(
                        ACTOR,
                        "",
                        "",
                        "RUN RESUME",
                        "/api/v1/runs/" + runId,
                        202,
                        null,
                        "resume-" + runId,
                        dev.trainyard.backend.common.Sha256.of(REASON)));
        LOG.infof("resumed interrupted run %s", runId);
      } catch (RuntimeException e) {
        // A run that cannot continue (say, retention deleted an input) stays INTERRUPTED with the
        // reason in the log; the others still resume.
        LOG.warnf("interrupted run %s was not resumed: %s", runId, e.getMessage());
      }
    }
    interrupted = List.of();
  }
}
