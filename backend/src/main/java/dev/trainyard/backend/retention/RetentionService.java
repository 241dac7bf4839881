package dev.trainyard.backend.retention;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.catalog.CatalogLedger;
import dev.trainyard.backend.catalog.TemplateEntity;
import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.backend.home.AttemptFiles;
import dev.trainyard.backend.lineage.LineageRepository;
import dev.trainyard.backend.retention.RetentionRules.Candidate;
import dev.trainyard.backend.retention.RetentionRules.Producer;
import dev.trainyard.backend.retention.RetentionRules.Protections;
import dev.trainyard.backend.security.Caller;
import dev.trainyard.workflow.RunStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.jboss.logging.Logger;

/**
 * Checkpoint retention per template. A template's checkpoints are the {@code checkpoint} outputs of
 * its runs: <em>final</em> when no later step of the same run consumed them, <em>intermediate</em>
 * otherwise. The policy keeps the newest N intermediates and the newest M finals (or every final);
 * on top of that, a checkpoint is never deleted while an alias points at it, while it is in the
 * lineage of an aliased checkpoint (its ancestors must stay reproducible), while a run that is not
 * finished produced or will read it, or when a run of another template produced it too.
 *
 * <p>This class reads the rows and the policy; {@link RetentionRules} decides from them (no
 * database); {@link RetentionExecutor} applies the plan. Deleting writes a tombstone (the row, its
 * file hashes and its lineage edges stay) and an audit event in one transaction, then removes the
 * files; a pass finding tombstoned files still present (a crash in between) removes them. Trainer
 * resume states under the work dirs of steps that succeeded are removed too: a succeeded step never
 * resumes.
 */
@ApplicationScoped
public class RetentionService {
  private static final Logger LOG = Logger.getLogger(RetentionService.class);

  @Inject RetentionRepository repository;
  @Inject TrainyardConfig config;
  @Inject AttemptFiles attempts;
  @Inject RetentionExecutor executor;
  @Inject LineageRepository lineage;

  public record Policy(
      String template,
      int keepLastIntermediate,
      @Schema(nullable = true, description = "null keeps every final checkpoint")
          Integer keepLastFinals,
      OffsetDateTime updatedAt,
      String updatedBy) {}

  /** One checkpoint and what the policy does with it. {@code action}: DELETE or KEEP. */
  public record Decision(
      String artifactId,
      String runId,
      String stepId,
      String output,
      long sizeBytes,
      OffsetDateTime createdAt,
      boolean finalOutput,
      @Schema(enumeration = {"DELETE", "KEEP"}) String action,
      String reason) {}

  /**
   * A trainer resume state of a succeeded step: {@code path} is its work dir relative to the home,
   * or {@code store:<name prefix>} where only the artifact store holds it.
   */
  public record ResumeState(
      String runId, String stepId, int attempt, String path, long sizeBytes) {}

  public record Report(
      String template,
      Policy policy,
      boolean dryRun,
      List<Decision> decisions,
      List<ResumeState> resumeStates,
      long bytesToFree,
      List<String> errors) {}

  /** Who asked, for the audit events of deletions. */
  public record Requester(Caller caller, String clientAddress, String requestId) {}

  /** The identity automatic retention acts (and is audited) as. */
  static final Caller POLICY = new Caller("retention-policy", Set.of(Caller.ADMIN), Set.of());

  /**
   * A run succeeded: if its template has a policy, apply it now (serialised: one pass at a time).
   */
  @jakarta.enterprise.context.control.ActivateRequestContext
  synchronized void onRunSucceeded(
      @jakarta.enterprise.event.ObservesAsync CatalogLedger.RunSucceeded event) {
    try {
      for (String name : repository.templateWithPolicyOf(event.runId()).stream().toList()) {
        Report report =
            apply(
                TemplateEntity.findById(name),
                new Requester(POLICY, null, "after-" + event.runId()));
        LOG.infof(
            "retention of %s after %s: %d checkpoints deleted, %d bytes freed",
            name,
            event.runId(),
            report.decisions().stream().filter(d -> d.action().equals("DELETE")).count(),
            report.bytesToFree());
      }
    } catch (RuntimeException e) {
      LOG.warnf(
          e,
          "retention after run %s failed; it runs again after the next run or on demand",
          event.runId());
    }
  }

  public Policy policy(String template) {
    return findPolicy(template)
        .orElseThrow(
            () ->
                ApiProblem.notFound(
                    "template '" + template + "' has no retention policy; an admin can PUT one"));
  }

  /** The template's policy; empty where none was set (retention then deletes nothing). */
  public Optional<Policy> findPolicy(String template) {
    return repository
        .policy(template)
        .map(
            row ->
                new Policy(
                    template,
                    row.keepLastIntermediate(),
                    row.keepLastFinals(),
                    row.updatedAt(),
                    row.updatedBy()));
  }

  public Policy setPolicy(
      String template, int keepLastIntermediate, Integer keepLastFinals, String user) {
    QuarkusTransaction.requiringNew()
        .run(() -> repository.upsertPolicy(template, keepLastIntermediate, keepLastFinals, user));
    return policy(template);
  }

  /** What the policy would delete now, and why each checkpoint is kept; deletes nothing. */
  public Report plan(TemplateEntity template) {
    Policy policy = policy(template.name);
    List<Decision> decisions = decide(template.name, policy);
    List<ResumeState> states = resumeStates(template.name);
    long bytes =
        decisions.stream()
                .filter(d -> d.action().equals("DELETE"))
                .mapToLong(Decision::sizeBytes)
                .sum()
            + states.stream().mapToLong(ResumeState::sizeBytes).sum();
    return new Report(template.name, policy, true, decisions, states, bytes, List.of());
  }

  /**
   * Applies the policy: tombstones and audits each deletion, then removes the files (see
   * RetentionExecutor).
   */
  public synchronized Report apply(TemplateEntity template, Requester requester) {
    return executor.apply(plan(template), requester);
  }

  private List<Decision> decide(String template, Policy policy) {
    Map<String, Candidate> byId = new LinkedHashMap<>();
    for (RetentionRepository.CheckpointRow r : repository.checkpointsOf(template)) {
      Candidate c =
          byId.computeIfAbsent(
              r.artifactId(),
              id -> new Candidate(id, r.sizeBytes(), r.createdAt(), new ArrayList<>()));
      c.producers()
          .add(
              new Producer(
                  r.runId(),
                  r.stepId(),
                  r.output(),
                  RunStatus.valueOf(r.runStatus()),
                  r.runTemplate(),
                  r.runCreatedAt().toInstant(),
                  r.consumedInRun()));
    }
    return RetentionRules.decide(
        template,
        policy,
        List.copyOf(byId.values()),
        new Protections(
            repository.aliases(), lineage.ancestorsOfAliased(), repository.readByUnfinishedRuns()));
  }

  private List<ResumeState> resumeStates(String template) {
    List<ResumeState> states = new ArrayList<>();
    for (RetentionRepository.AttemptKey key : repository.attemptsOfDoneSteps(template)) {
      String runId = key.runId();
      String stepId = key.stepId();
      int attempt = key.attempt();
      Optional<AttemptFiles.Held> held;
      try {
        held = attempts.resumeStates(runId, stepId, attempt);
      } catch (IllegalArgumentException unsafeName) {
        continue;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(
            "cannot list the resume states of " + runId + "/" + stepId + "/" + attempt, e);
      }
      held.ifPresent(
          h -> states.add(new ResumeState(runId, stepId, attempt, h.path(), h.sizeBytes())));
    }
    return states;
  }
}
