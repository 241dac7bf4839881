package dev.trainyard.backend.retention;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.catalog.CatalogLedger;
import dev.trainyard.backend.catalog.TemplateEntity;
import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.backend.home.AttemptFiles;
import dev.trainyard.backend.lineage.LineageNode;
import dev.trainyard.backend.lineage.LineageRepository;
import dev.trainyard.backend.retention.RetentionRules.Candidate;
import dev.trainyard.backend.retention.RetentionRules.Producer;
import dev.trainyard.backend.retention.RetentionRules.Protections;
import dev.trainyard.backend.security.Caller;
import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.workflow.RunStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
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

  @Inject EntityManager em;
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
   * A trainer resume state under a succeeded step's work dir; {@code path} is relative to the home.
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
      @SuppressWarnings("unchecked")
      List<String> templates =
          em.createNativeQuery(
                  "SELECT r.template_name FROM run r JOIN retention_policy p "
                      + "ON p.template_name = r.template_name WHERE r.id = ?1")
              .setParameter(1, event.runId())
              .getResultList();
      for (String name : templates) {
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
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT keep_last_intermediate, keep_last_finals, updated_at, updated_by "
                    + "FROM retention_policy WHERE template_name = ?1")
            .setParameter(1, template)
            .getResultList();
    if (rows.isEmpty()) {
      throw ApiProblem.notFound(
          "template '" + template + "' has no retention policy; an admin can PUT one");
    }
    Object[] r = rows.get(0);
    return new Policy(
        template,
        ((Number) r[0]).intValue(),
        r[1] == null ? null : ((Number) r[1]).intValue(),
        time(r[2]),
        (String) r[3]);
  }

  public Policy setPolicy(
      String template, int keepLastIntermediate, Integer keepLastFinals, String user) {
    QuarkusTransaction.requiringNew()
        .run(
            () ->
                em.createNativeQuery(
                        "INSERT INTO retention_policy (template_name, keep_last_intermediate, keep_last_finals, updated_by) "
                            + "VALUES (?1, ?2, NULLIF(?3, -1), ?4) ON CONFLICT (template_name) DO UPDATE SET keep_last_intermediate = ?2, "
                            + "keep_last_finals = NULLIF(?3, -1), updated_by = ?4, updated_at = now()")
                    .setParameter(1, template)
                    .setParameter(2, keepLastIntermediate)
                    .setParameter(3, keepLastFinals == null ? -1 : keepLastFinals)
                    .setParameter(4, user)
                    .executeUpdate());
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
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT a.id, a.size_bytes, a.created_at, so.run_id, so.step_id, so.name, r.status, r.template_name, "
                    + "r.created_at, EXISTS (SELECT 1 FROM lineage_edge e WHERE e.from_node = ?3 || a.id "
                    + "AND starts_with(e.to_node, ?4 || so.run_id || '/')) "
                    + "FROM artifact a JOIN step_output so ON so.artifact_id = a.id JOIN run r ON r.id = so.run_id "
                    + "WHERE a.type = ?2 AND a.deleted_at IS NULL AND a.id IN (SELECT so2.artifact_id "
                    + "FROM step_output so2 JOIN run r2 ON r2.id = so2.run_id WHERE r2.template_name = ?1)")
            .setParameter(1, template)
            .setParameter(2, ArtifactType.CHECKPOINT.wireName())
            .setParameter(3, LineageNode.Kind.ARTIFACT.prefix())
            .setParameter(4, LineageNode.Kind.STEP.prefix())
            .getResultList();
    Map<String, Candidate> byId = new LinkedHashMap<>();
    for (Object[] r : rows) {
      Candidate c =
          byId.computeIfAbsent(
              (String) r[0],
              id -> new Candidate(id, ((Number) r[1]).longValue(), time(r[2]), new ArrayList<>()));
      c.producers()
          .add(
              new Producer(
                  (String) r[3],
                  (String) r[4],
                  (String) r[5],
                  RunStatus.valueOf((String) r[6]),
                  (String) r[7],
                  time(r[8]).toInstant(),
                  (Boolean) r[9]));
    }
    return RetentionRules.decide(
        template,
        policy,
        List.copyOf(byId.values()),
        new Protections(aliases(), lineage.ancestorsOfAliased(), readByUnfinishedRuns()));
  }

  /** artifact id → alias name, for every alias. */
  private Map<String, String> aliases() {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery("SELECT artifact_id, name FROM alias ORDER BY name").getResultList();
    Map<String, String> out = new LinkedHashMap<>();
    rows.forEach(r -> out.putIfAbsent((String) r[0], (String) r[1]));
    return out;
  }

  /** artifact id → an unfinished run that reads it, as recorded at launch in run_input. */
  private Map<String, String> readByUnfinishedRuns() {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT ri.artifact_id, min(ri.run_id) FROM run_input ri JOIN run r ON r.id = ri.run_id "
                    + "WHERE r.status IN ('PENDING', 'RUNNING') GROUP BY ri.artifact_id")
            .getResultList();
    Map<String, String> out = new LinkedHashMap<>();
    rows.forEach(r -> out.put((String) r[0], (String) r[1]));
    return out;
  }

  private List<ResumeState> resumeStates(String template) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT sa.run_id, sa.step_id, sa.attempt FROM step_attempt sa "
                    + "JOIN step s ON s.run_id = sa.run_id AND s.step_id = sa.step_id JOIN run r ON r.id = sa.run_id "
                    + "WHERE r.template_name = ?1 AND s.status IN ('SUCCEEDED', 'REUSED') ORDER BY sa.run_id, sa.step_id, sa.attempt")
            .setParameter(1, template)
            .getResultList();
    List<ResumeState> states = new ArrayList<>();
    for (Object[] r : rows) {
      String runId = (String) r[0];
      String stepId = (String) r[1];
      int attempt = ((Number) r[2]).intValue();
      Optional<Path> dir;
      try {
        dir = attempts.resumeStates(runId, stepId, attempt);
      } catch (IllegalArgumentException unsafeName) {
        continue;
      }
      dir.ifPresent(
          d ->
              states.add(
                  new ResumeState(
                      runId, stepId, attempt, config.home().relativize(d).toString(), sizeOf(d))));
    }
    return states;
  }

  private static long sizeOf(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    } catch (IOException e) {
      return 0;
    }
  }

  private static OffsetDateTime time(Object value) {
    return value instanceof Instant i ? i.atOffset(ZoneOffset.UTC) : (OffsetDateTime) value;
  }
}
