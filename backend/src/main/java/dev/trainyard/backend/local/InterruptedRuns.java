package dev.trainyard.backend.local;

import dev.trainyard.backend.runs.RunRepository;
import dev.trainyard.backend.temporal.TemporalRuntime;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * The embedded Temporal service keeps its state in memory, so after a restart of local mode no
 * execution of an in-flight run exists any more. Such runs are marked INTERRUPTED at start (before
 * the workers poll); retry-from-failed continues them, reusing the steps that had completed.
 */
@ApplicationScoped
public class InterruptedRuns {
  private static final Logger LOG = Logger.getLogger(InterruptedRuns.class);
  static final String REASON =
      "interrupted: Trainyard stopped while this ran; retry the run to continue";

  @Inject TemporalRuntime temporal;
  @Inject RunRepository runs;

  void sweep(@Observes @Priority(5) StartupEvent event) {
    if (!temporal.isEmbedded()) {
      return;
    }
    int interrupted =
        QuarkusTransaction.requiringNew().call(() -> runs.markInFlightInterrupted(REASON));
    if (interrupted > 0) {
      LOG.warnf(
          "%d run(s) were in flight when Trainyard last stopped; marked INTERRUPTED (retry to continue)",
          interrupted);
    }
  }
}
