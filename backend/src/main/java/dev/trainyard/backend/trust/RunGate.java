package dev.trainyard.backend.trust;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.audit.AuditLog;
import dev.trainyard.backend.common.Sha256;
import dev.trainyard.backend.runs.RunRepository;
import dev.trainyard.pipeline.kind.Execution;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.InputBinding;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.PipelineWorkflow;
import dev.trainyard.workflow.RunRequest;
import dev.trainyard.workflow.StepTask;
import dev.trainyard.workflow.trust.CanonicalJson;
import dev.trainyard.workflow.trust.StepGrant;
import dev.trainyard.workflow.trust.TaskSignatures;
import dev.trainyard.workflow.trust.TrustActivities;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityInfo;
import io.temporal.failure.ApplicationFailure;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks each workflow against the catalog before the backend signs anything for it. The catalog is
 * what the API wrote when a user launched, retried or approved: a workflow that someone else
 * started on Temporal, for a run that is finished or with a plan of their own, gets no signature
 * and so no worker runs any of it. Refusals are audited. A plain {@code @Singleton} like {@code
 * CatalogLedger}: Temporal registers the instance and must see its interface.
 */
@Singleton
public class RunGate implements TrustActivities {
  private static final Set<String> UNFINISHED = Set.of("PENDING", "RUNNING");
  private static final Set<String> COMPLETED = Set.of("SUCCEEDED", "REUSED");

  private final RunRepository runs;
  private final ObjectMapper json;
  private final SigningKey key;
  private final AuditLog audit;
  @Inject dev.trainyard.backend.openlineage.OpenLineageEmitter openLineage;
  @Inject dev.trainyard.backend.observability.RunMetrics metrics;

  @Inject
  public RunGate(RunRepository runs, ObjectMapper json, SigningKey key, AuditLog audit) {
    this.runs = runs;
    this.json = json;
    this.key = key;
    this.audit = audit;
  }

  /** The catalog's run, share-locked for the checking transaction. */
  private record RecordedRun(
      String status,
      VerifiedPlan verified,
      String templateName,
      int templateVersion,
      String templateApprovedBy) {
    ExecutionPlan plan() {
      return verified.plan();
    }
  }

  /**
   * A run's recorded plan, parsed once and checked against the text it was parsed from, with the
   * hash of each step's body as it is needed. Keyed by the run and the digest PostgreSQL computes
   * of the stored plan on every check, so a plan that changed in the catalog is read again, never
   * served from here.
   */
  private record VerifiedPlan(String digest, ExecutionPlan plan, Map<String, String> bodySha256) {
    String bodySha256(PlannedStep step) {
      return bodySha256.computeIfAbsent(step.id(), id -> CanonicalJson.sha256(step.body()));
    }
  }

  /** Bounded: runs in flight at once; an evicted run only parses its plan again. */
  private static final int PLANS_KEPT = 1024;

  private final Map<String, VerifiedPlan> plans =
      java.util.Collections.synchronizedMap(
          new java.util.LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, VerifiedPlan> eldest) {
              return size() > PLANS_KEPT;
            }
          });

  @Override
  public String admitRun(RunRequest request) {
    ActivityInfo workflow = Activity.getExecutionContext().getInfo();
    String refusal =
        QuarkusTransaction.requiringNew().call(() -> admission(workflow.getWorkflowId(), request));
    if (refusal != null) {
      refused(workflow, request.runId(), null, refusal);
    }
    return refusal;
  }

  @Override
  public StepGrant grantStep(StepTask task) {
    ActivityInfo workflow = Activity.getExecutionContext().getInfo();
    Object answer =
        QuarkusTransaction.requiringNew().call(() -> grant(workflow.getWorkflowId(), task));
    if (answer instanceof StepGrant grant) {
      openLineage.attemptRunning(task.runId(), task.stepId(), task.attempt());
      metrics.attemptGranted(task.runId(), task.stepId(), task.attempt());
      return grant;
    }
    String refusal = (String) answer;
    refused(workflow, task.runId(), task.stepId(), refusal);
    throw ApplicationFailure.newNonRetryableFailure(
        "the backend refused to sign step '" + task.stepId() + "': " + refusal, "StepRefused");
  }

  @Override
  public boolean approvalSigned(String runId, int attempt, PipelineWorkflow.Approval approval) {
    byte[] payload =
        TaskSignatures.approvalPayload(runId, approval.stepId(), attempt, approval.approvedBy());
    if (TaskSignatures.verifies(key.publicKey(), payload, approval.signature())) {
      return true;
    }
    refused(
        Activity.getExecutionContext().getInfo(),
        runId,
        approval.stepId(),
        "approval signal by '"
            + approval.approvedBy()
            + "' without the backend's signature (approve through the API)");
    return false;
  }

  private String admission(String workflowId, RunRequest request) {
    String runId = request.runId();
    if (runId == null || !runId.equals(workflowId)) {
      return "workflow "
          + workflowId
          + " carries run id "
          + runId
          + "; each run is the workflow with its run id";
    }
    RecordedRun run = lockRun(runId);
    if (run == null) {
      return "run " + runId + " was not launched through the API";
    }
    String common = unfinishedAndApproved(runId, run);
    if (common != null) {
      return common;
    }
    if (!CanonicalJson.sha256(run.plan()).equals(CanonicalJson.sha256(request.plan()))) {
      return "its plan is not the one recorded when run " + runId + " was launched";
    }
    for (var artifact : request.artifacts().entrySet()) {
      ArtifactRef ref = artifact.getValue();
      if (ref == null
          || !artifact.getKey().equals(ref.id())
          || !Objects.equals(uriOf(ref.id()), ref.uri())) {
        return "artifact " + artifact.getKey() + " is not the catalog's";
      }
    }
    for (var reused : request.reused().entrySet()) {
      String stepStatus = stepStatus(runId, reused.getKey());
      if (!COMPLETED.contains(stepStatus)) {
        return "step '"
            + reused.getKey()
            + "' is passed as completed but the catalog has it "
            + stepStatus;
      }
      for (var output : reused.getValue().entrySet()) {
        if (!recordedOutput(runId, reused.getKey(), output.getKey(), output.getValue())) {
          return "output '"
              + output.getKey()
              + "' of step '"
              + reused.getKey()
              + "' is not the one recorded";
        }
      }
    }
    // Attempt numbers key the ledger's rows: made-up ones would overwrite recorded attempts. Once
    // this
    // execution has begun (RUNNING, e.g. a workflow task run again after a crash) it has added its
    // own.
    if (run.status().equals("PENDING")
        && !recordedAttempts(runId).equals(withoutZeros(request.previousAttempts()))) {
      return "its attempt counts are not the catalog's";
    }
    return null;
  }

  /** The grant, or why there is none. */
  private Object grant(String workflowId, StepTask task) {
    String runId = task.runId();
    if (runId == null || !runId.equals(workflowId)) {
      return "workflow " + workflowId + " carries run id " + runId;
    }
    RecordedRun run = lockRun(runId);
    if (run == null) {
      return "run " + runId + " was not launched through the API";
    }
    String common = unfinishedAndApproved(runId, run);
    if (common != null) {
      return common;
    }
    PlannedStep planned = run.plan().step(task.stepId()).orElse(null);
    if (planned == null) {
      return "run " + runId + " has no step '" + task.stepId() + "'";
    }
    if (!planned.kind().equals(task.kind())
        || planned.gpus() != task.gpus()
        || planned.timeoutSeconds() != task.timeoutSeconds()
        || !run.verified().bodySha256(planned).equals(CanonicalJson.sha256(task.body()))) {
      return "step '" + task.stepId() + "' is not the step recorded in the run's plan";
    }
    Set<String> bound = new HashSet<>();
    for (InputBinding binding : planned.inputs()) {
      bound.add(binding.name());
      ArtifactRef ref = task.inputs().get(binding.name());
      boolean recorded =
          ref != null
              && (binding.fromStepOutput()
                  ? recordedOutput(runId, binding.fromStep(), binding.output(), ref)
                  : ref.id().equals(binding.artifactId())
                      && Objects.equals(uriOf(ref.id()), ref.uri()));
      if (!recorded) {
        return "input '"
            + binding.name()
            + "' of step '"
            + task.stepId()
            + "' is not the catalog's artifact";
      }
    }
    if (!bound.equals(task.inputs().keySet())) {
      return "step '" + task.stepId() + "' is given inputs its plan does not bind";
    }
    for (String approval : approvalsBefore(run.plan(), planned)) {
      String status = stepStatus(runId, approval);
      if (!COMPLETED.contains(status)) {
        return "approval step '" + approval + "' before it is " + status + ", not approved";
      }
    }
    byte[] payload =
        TaskSignatures.stepPayload(
            runId, task.stepId(), run.templateVersion(), TaskSignatures.resolvedStepSha256(task));
    return new StepGrant(run.templateVersion(), key.sign(payload));
  }

  private String unfinishedAndApproved(String runId, RecordedRun run) {
    if (!UNFINISHED.contains(run.status())) {
      return "run " + runId + " is already " + run.status();
    }
    if (run.templateApprovedBy() == null) {
      return "template '"
          + run.templateName()
          + "' version "
          + run.templateVersion()
          + " is not approved";
    }
    return null;
  }

  /**
   * FOR SHARE waits for a transaction that is changing the row — a retry marks the run PENDING and
   * starts its workflow before it commits — and then reads what it committed.
   */
  private RecordedRun lockRun(String runId) {
    // The plan's digest, not the plan: each step of a long pipeline would otherwise transfer and
    // parse the whole plan again (issue: per-step overhead after the security fixes).
    RunRepository.GateRow row = runs.lockForGate(runId).orElse(null);
    if (row == null) {
      plans.remove(runId);
      return null;
    }
    return new RecordedRun(
        row.status(),
        recordedPlan(runId, row.planDigest()),
        row.templateName(),
        row.templateVersion(),
        row.templateApprovedBy());
  }

  /** The run's plan as stored now (the row is share-locked by the caller's transaction). */
  private VerifiedPlan recordedPlan(String runId, String digest) {
    VerifiedPlan known = plans.get(runId);
    if (known != null && known.digest().equals(digest)) {
      return known;
    }
    String text = runs.planText(runId).orElseThrow();
    if (!Sha256.of(text).equals(digest)) {
      throw new IllegalStateException("run " + runId + "'s plan changed while it was read");
    }
    try {
      VerifiedPlan read =
          new VerifiedPlan(
              digest,
              json.readValue(text, ExecutionPlan.class),
              new java.util.concurrent.ConcurrentHashMap<>());
      plans.put(runId, read);
      return read;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("run " + runId + " has an unreadable plan", e);
    }
  }

  private String uriOf(String artifactId) {
    return runs.artifactUri(artifactId).orElse(null);
  }

  private boolean recordedOutput(String runId, String stepId, String name, ArtifactRef ref) {
    if (ref == null) {
      return false;
    }
    return runs.outputUris(runId, stepId, name, ref.id()).stream()
        .anyMatch(uri -> uri.equals(ref.uri()));
  }

  private String stepStatus(String runId, String stepId) {
    return runs.stepStatus(runId, stepId).orElse("not in the run");
  }

  private Map<String, Integer> recordedAttempts(String runId) {
    return withoutZeros(runs.latestAttempts(runId));
  }

  private static Map<String, Integer> withoutZeros(Map<String, Integer> attempts) {
    Map<String, Integer> counted = new HashMap<>(attempts);
    counted.values().removeIf(n -> n == null || n == 0);
    return counted;
  }

  /** Approval steps the step depends on, directly or through other steps. */
  private static Set<String> approvalsBefore(ExecutionPlan plan, PlannedStep step) {
    Set<String> seen = new HashSet<>();
    Set<String> approvals = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(step.needs());
    while (!todo.isEmpty()) {
      String id = todo.pop();
      if (seen.add(id)) {
        plan.step(id)
            .ifPresent(
                need -> {
                  if (StepKinds.of(need.kind()).execution() == Execution.APPROVAL) {
                    approvals.add(id);
                  }
                  todo.addAll(need.needs());
                });
      }
    }
    return approvals;
  }

  private void refused(ActivityInfo workflow, String runId, String stepId, String reason) {
    String target = "/api/v1/runs/" + runId + (stepId == null ? "" : "/steps/" + stepId);
    String action =
        "TEMPORAL REFUSED " + (reason.length() > 300 ? reason.substring(0, 300) + "…" : reason);
    QuarkusTransaction.requiringNew()
        .run(
            () ->
                audit.append(
                    "temporal-client",
                    "",
                    "",
                    action,
                    target,
                    403,
                    null,
                    "workflow:" + workflow.getWorkflowId() + "/" + workflow.getRunId(),
                    Sha256.of(reason)));
  }
}
