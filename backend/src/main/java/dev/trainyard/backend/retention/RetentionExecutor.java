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

  @Inject RetentionRepository repository;
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
                    if (!repository.lockLive(d.artifactId())) {
                      return "already deleted";
                    }
                    String protection = protectionNow(d.artifactId());
                    if (protection != null) {
                      return protection;
                    }
                    repository.tombstone(
                        d.artifactId(),
                        requester.caller().name(),
                        "retention of template " + plan.template() + ": " + d.reason());
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
                  if (repository.lockTombstone(id)) {
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
    Optional<String> alias = repository.aliasAt(id);
    if (alias.isPresent()) {
      return "alias '" + alias.get() + "' points at it";
    }
    Optional<String> derived = lineage.aliasDownstreamOf(id);
    if (derived.isPresent()) {
      return "in the lineage of alias '" + derived.get() + "'";
    }
    Optional<String> producer = repository.unfinishedOrRetryableProducer(id);
    if (producer.isPresent()) {
      return "a " + producer.get() + " run produced it";
    }
    return repository
        .unfinishedReader(id)
        .map(run -> "unfinished run " + run + " reads it")
        .orElse(null);
  }

  private List<String> tombstonedStillStored() {
    return repository.tombstones().stream().filter(store::contains).toList();
  }
}
