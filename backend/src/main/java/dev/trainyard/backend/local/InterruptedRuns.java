package dev.trainyard.backend.local;

import dev.trainyard.backend.temporal.TemporalRuntime;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
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
  @Inject EntityManager em;

  void sweep(@Observes @Priority(5) StartupEvent event) {
    if (!temporal.isEmbedded()) {
      return;
    }
    int runs =
        QuarkusTransaction.requiringNew()
            .call(
                () -> {
                  em.createNativeQuery(
                          "UPDATE step_attempt SET status = 'FAILED', error = ?1, finished_at = now() "
                              + "WHERE status IN ('RUNNING', 'WAITING_APPROVAL') AND run_id IN "
                              + "(SELECT id FROM run WHERE status IN ('PENDING', 'RUNNING'))")
                      .setParameter(1, REASON)
                      .executeUpdate();
                  em.createNativeQuery(
                          "UPDATE step SET status = 'FAILED' WHERE status IN ('RUNNING', 'WAITING_APPROVAL') "
                              + "AND run_id IN (SELECT id FROM run WHERE status IN ('PENDING', 'RUNNING'))")
                      .executeUpdate();
                  return em.createNativeQuery(
                          "UPDATE run SET status = 'INTERRUPTED', error = ?1, finished_at = now() "
                              + "WHERE status IN ('PENDING', 'RUNNING')")
                      .setParameter(1, REASON)
                      .executeUpdate();
                });
    if (runs > 0) {
      LOG.warnf(
          "%d run(s) were in flight when Trainyard last stopped; marked INTERRUPTED (retry to continue)",
          runs);
    }
  }
}
