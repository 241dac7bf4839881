package dev.trainyard.backend.retention;

import dev.trainyard.backend.audit.AuditLog;
import dev.trainyard.backend.common.Sha256;
import dev.trainyard.backend.home.AttemptFiles;
import dev.trainyard.backend.home.StoredArtifacts;
import dev.trainyard.backend.lineage.LineageNode;
import dev.trainyard.backend.lineage.LineageRepository;
import dev.trainyard.backend.retention.RetentionService.Decision;
import dev.trainyard.backend.retention.RetentionService.Report;
import dev.trainyard.backend.retention.RetentionService.Requester;
import dev.trainyard.backend.retention.RetentionService.ResumeState;
import dev.trainyard.backend.security.Caller;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.jboss.logging.Logger;

/**
 * Carries out a retention plan. Each deletion re-checks, under the artifact row's lock, what the
 * plan checked, then writes the tombstone and its audit event in one transaction; the files go
 * afterwards, through the store's {@code delete}. A pass finding tombstoned files still present (a
 * crash in between) removes them.
 */
@ApplicationScoped
class RetentionExecutor {
  private static final Logger LOG = Logger.getLogger(RetentionExecutor.class);

  @Inject EntityManager em;
  @Inject AuditLog audit;
  @Inject StoredArtifacts store;
  @Inject AttemptFiles attempts;
  @Inject LineageRepository lineage;

  /** Applies a plan: tombstones and audits each deletion, then removes the files. */
  Report apply(Report plan, Requester requester) {
    List<String> errors = new ArrayList<>();
    List<Decision> done = new ArrayList<>();
    for (Decision d : plan.decisions()) {
      if (!d.action().equals("DELETE")) {
        done.add(d);
        continue;
      }
      String keptMeanwhile =
          QuarkusTransaction.requiringNew()
              .call(
                  () -> {
                    // The row lock first: alias moves, launches and cache hits share-lock the row
                    // and re-check it,
                    // so from here on nothing new can start to depend on it; then everything the
                    // plan checked, again.
                    @SuppressWarnings("unchecked")
                    List<Object> row =
                        em.createNativeQuery(
                                "SELECT id FROM artifact WHERE id = ?1 AND deleted_at IS NULL FOR UPDATE")
                            .setParameter(1, d.artifactId())
                            .getResultList();
                    if (row.isEmpty()) {
                      return "already deleted";
                    }
                    String protection = protectionNow(d.artifactId());
                    if (protection != null) {
                      return protection;
                    }
                    em.createNativeQuery(
                            "UPDATE artifact SET deleted_at = now(), deleted_by = ?2, deletion_reason = ?3 WHERE id = ?1")
                        .setParameter(1, d.artifactId())
                        .setParameter(2, requester.caller().name())
                        .setParameter(
                            3, "retention of template " + plan.template() + ": " + d.reason())
                        .executeUpdate();
                    auditDeletion(
                        requester, LineageNode.artifact(d.artifactId()).format(), d.reason());
                    return null;
                  });
      done.add(
          keptMeanwhile == null
              ? d
              : new Decision(
                  d.artifactId(),
                  d.runId(),
                  d.stepId(),
                  d.output(),
                  d.sizeBytes(),
                  d.createdAt(),
                  d.finalOutput(),
                  "KEEP",
                  keptMeanwhile + " (since the plan)"));
      if (keptMeanwhile == null && !store.contains(d.artifactId())) {
        errors.add(
            "artifact "
                + d.artifactId()
                + ": no files under "
                + store.location()
                + "; if its store is a worker's "
                + "own root, delete them there");
      }
    }
    for (String id : tombstonedStillStored()) {
      try {
        // Under the row lock, and only while still deleted: identical bytes stored again revive the
        // row.
        QuarkusTransaction.requiringNew()
            .run(
                () -> {
                  if (!em.createNativeQuery(
                          "SELECT id FROM artifact WHERE id = ?1 AND deleted_at IS NOT NULL FOR UPDATE")
                      .setParameter(1, id)
                      .getResultList()
                      .isEmpty()) {
                    try {
                      store.delete(id);
                    } catch (IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  }
                });
      } catch (RuntimeException e) {
        errors.add(
            "artifact "
                + id
                + ": files not deleted yet ("
                + e.getMessage()
                + "); the next pass retries");
        LOG.warnf("retention could not delete the files of %s: %s", id, e);
      }
    }
    for (ResumeState state : plan.resumeStates()) {
      try {
        QuarkusTransaction.requiringNew()
            .run(
                () ->
                    auditDeletion(
                        requester,
                        "resume-state:"
                            + state.runId()
                            + "/"
                            + state.stepId()
                            + "/"
                            + state.attempt(),
                        "trainer resume state of a succeeded step"));
        attempts.deleteResumeStates(state.runId(), state.stepId(), state.attempt());
      } catch (IOException | RuntimeException e) {
        errors.add(state.path() + ": " + e.getMessage());
      }
    }
    long freed =
        done.stream().filter(d -> d.action().equals("DELETE")).mapToLong(Decision::sizeBytes).sum()
            + plan.resumeStates().stream().mapToLong(ResumeState::sizeBytes).sum();
    return new Report(
        plan.template(), plan.policy(), false, done, plan.resumeStates(), freed, errors);
  }

  private void auditDeletion(Requester requester, String target, String reason) {
    Caller c = requester.caller();
    audit.append(
        c.name(),
        String.join(",", new TreeSet<>(c.roles())),
        String.join(",", new TreeSet<>(c.teams())),
        "RETENTION DELETE",
        target,
        200,
        requester.clientAddress(),
        requester.requestId(),
        Sha256.of(reason));
  }

  /** Why the artifact must stay, read now (inside the deleting transaction), or null. */
  private String protectionNow(String id) {
    @SuppressWarnings("unchecked")
    List<String> alias =
        em.createNativeQuery("SELECT name FROM alias WHERE artifact_id = ?1 LIMIT 1")
            .setParameter(1, id)
            .getResultList();
    if (!alias.isEmpty()) {
      return "alias '" + alias.get(0) + "' points at it";
    }
    Optional<String> derived = lineage.aliasDownstreamOf(id);
    if (derived.isPresent()) {
      return "in the lineage of alias '" + derived.get() + "'";
    }
    @SuppressWarnings("unchecked")
    List<String> producers =
        em.createNativeQuery(
                "SELECT r.status FROM step_output so JOIN run r ON r.id = so.run_id "
                    + "WHERE so.artifact_id = ?1 AND r.status IN ('PENDING', 'RUNNING', 'FAILED', 'CANCELLED', 'INTERRUPTED') LIMIT 1")
            .setParameter(1, id)
            .getResultList();
    if (!producers.isEmpty()) {
      return "a " + producers.get(0) + " run produced it";
    }
    @SuppressWarnings("unchecked")
    List<String> readers =
        em.createNativeQuery(
                "SELECT r.id FROM run_input ri JOIN run r ON r.id = ri.run_id "
                    + "WHERE ri.artifact_id = ?1 AND r.status IN ('PENDING', 'RUNNING') ORDER BY r.id LIMIT 1")
            .setParameter(1, id)
            .getResultList();
    return readers.isEmpty() ? null : "unfinished run " + readers.get(0) + " reads it";
  }

  private List<String> tombstonedStillStored() {
    @SuppressWarnings("unchecked")
    List<String> ids =
        em.createNativeQuery("SELECT id FROM artifact WHERE deleted_at IS NOT NULL")
            .getResultList();
    return ids.stream().filter(store::contains).toList();
  }
}
