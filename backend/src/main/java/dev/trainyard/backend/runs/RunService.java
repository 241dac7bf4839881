package dev.trainyard.backend.runs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.ApiProblem.FieldError;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.backend.catalog.StepAttemptEntity;
import dev.trainyard.backend.catalog.StepEntity;
import dev.trainyard.backend.catalog.TemplateEntity;
import dev.trainyard.backend.catalog.TemplateVersionEntity;
import dev.trainyard.backend.common.Sha256;
import dev.trainyard.backend.security.TeamScope;
import dev.trainyard.backend.templates.TemplateService;
import dev.trainyard.backend.trust.SigningKey;
import dev.trainyard.pipeline.Pipelines;
import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.InputBinding;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.pipeline.spec.ParamSpec;
import dev.trainyard.pipeline.spec.ParamType;
import dev.trainyard.pipeline.spec.PipelineSpec;
import dev.trainyard.pipeline.validate.InvalidSpecException;
import dev.trainyard.pipeline.validate.Problem;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.PipelineWorkflow;
import dev.trainyard.workflow.RunRequest;
import dev.trainyard.workflow.RunStatus;
import dev.trainyard.workflow.StepStatus;
import dev.trainyard.workflow.TaskQueues;
import dev.trainyard.workflow.trust.TaskSignatures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowServiceException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceException;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Launches, cancels, approves and retries runs. A run row and its workflow are created together:
 * the workflow is started inside the transaction that inserts the row, so a failed start leaves no
 * row, and a run id derived from the Idempotency-Key makes Temporal refuse a second workflow.
 */
@ApplicationScoped
public class RunService {
  private static final Set<String> RETRYABLE = Set.of("FAILED", "CANCELLED", "INTERRUPTED");
  private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
  private static final SecureRandom RANDOM = new SecureRandom();

  @Inject TemplateService templates;
  @Inject WorkflowClient temporal;
  @Inject ObjectMapper json;
  @Inject EntityManager em;
  @Inject TeamScope scope;
  @Inject SigningKey signing;

  public record Launch(RunEntity run, boolean created) {}

  public Launch launch(
      String templateName, Integer version, Map<String, Object> params, String idempotencyKey) {
    String user = scope.caller().name();
    if (idempotencyKey != null) {
      Optional<RunEntity> existing = byIdempotencyKey(idempotencyKey);
      if (existing.isPresent()) {
        scope.require(existing.get().team, "no run for this Idempotency-Key");
        requireSameRequest(existing.get(), templateName, version, params);
        return new Launch(existing.get(), false);
      }
    }
    List<FieldError> problems = new ArrayList<>();
    if (templateName == null || templateName.isBlank()) {
      throw ApiProblem.invalid(List.of(new FieldError("template", "required")));
    }
    TemplateVersionEntity template;
    try {
      template = templates.version(templateName, version);
    } catch (ApiProblem notFound) {
      throw ApiProblem.invalid(
          List.of(new FieldError(version == null ? "template" : "version", notFound.getMessage())));
    }
    TemplateEntity owner = TemplateEntity.findById(template.templateName);
    if (!scope.caller().sees(owner.team)) {
      throw ApiProblem.invalid(
          List.of(new FieldError("template", "no template '" + templateName + "'")));
    }
    if (template.approvedBy == null) {
      throw new ApiProblem(
          403,
          "Forbidden",
          "template '"
              + templateName
              + "' version "
              + template.version
              + " contains command steps and awaits an admin's approval",
          List.of());
    }
    PipelineSpec spec = Pipelines.parse(template.spec);
    Map<String, Object> given = params == null ? Map.of() : params;
    Map<String, Object> resolved = new LinkedHashMap<>(given);
    Map<String, ArtifactRef> artifacts = new HashMap<>();
    for (ParamSpec param : spec.params()) {
      Object value =
          given.containsKey(param.name()) ? given.get(param.name()) : param.defaultValue();
      if (param.type().isArtifact() && value instanceof String ref) {
        String wanted = param.type().artifactType().wireName();
        Optional<ArtifactEntity> artifact =
            ArtifactResolver.resolve(ref, param.type() == ParamType.DATASET ? wanted : null)
                .filter(a -> scope.caller().sees(a.team));
        if (artifact.isPresent() && !artifact.get().type.equals(wanted)) {
          // A command's files or a report given as a checkpoint would fail minutes later in the
          // trainer.
          problems.add(
              new FieldError(
                  "params." + param.name(),
                  "'"
                      + ref
                      + "' ("
                      + artifact.get().id.substring(0, 12)
                      + ") is "
                      + artifact.get().type
                      + ", not "
                      + wanted));
          resolved.put(param.name(), "0".repeat(64));
        } else if (artifact.isPresent() && artifact.get().deleted()) {
          problems.add(
              new FieldError(
                  "params." + param.name(),
                  "'"
                      + ref
                      + "' ("
                      + artifact.get().id.substring(0, 12)
                      + ") was deleted by retention on "
                      + artifact.get().deletedAt.toLocalDate()
                      + ": "
                      + artifact.get().deletionReason));
          resolved.put(param.name(), "0".repeat(64));
        } else if (artifact.isPresent()) {
          resolved.put(param.name(), artifact.get().id);
          artifacts.put(artifact.get().id, new ArtifactRef(artifact.get().id, artifact.get().uri));
        } else {
          problems.add(
              new FieldError(
                  "params." + param.name(),
                  "no "
                      + param.type().name().toLowerCase()
                      + " with alias, name or id '"
                      + ref
                      + "'"));
          resolved.put(param.name(), "0".repeat(64)); // lets compile check everything else
        }
      }
    }
    ExecutionPlan plan = null;
    try {
      plan = Pipelines.compile(spec, resolved);
    } catch (InvalidSpecException e) {
      for (Problem p : e.problems()) {
        problems.add(new FieldError(p.path(), p.message()));
      }
    }
    if (!problems.isEmpty()) {
      throw ApiProblem.invalid(problems);
    }

    String runId =
        idempotencyKey != null ? "run-" + Sha256.of(idempotencyKey).substring(0, 20) : newRunId();
    ExecutionPlan compiled = plan;
    RunEntity run;
    try {
      run =
          QuarkusTransaction.requiringNew()
              .call(
                  () -> {
                    requireInputsStored(artifacts.keySet());
                    return insertRun(
                        runId, template, given, compiled, idempotencyKey, user, owner.team);
                  });
    } catch (PersistenceException duplicate) {
      if (idempotencyKey == null) {
        throw duplicate;
      }
      // A concurrent request with the same key inserted first; its run is the answer, if it asked
      // the same.
      RunEntity winner = byIdempotencyKey(idempotencyKey).orElseThrow(() -> duplicate);
      requireSameRequest(winner, templateName, version, params);
      return new Launch(winner, false);
    }
    // Started after the row is committed, so the ledger always finds it. If the start fails, the
    // row
    // is removed again: the caller gets a 503 and no orphan run. (A crash in between leaves a
    // PENDING row that local mode marks INTERRUPTED at its next start.)
    try {
      startWorkflow(
          RunRequest.fresh(runId, compiled, artifacts),
          WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE);
    } catch (RuntimeException e) {
      QuarkusTransaction.requiringNew()
          .run(
              () -> {
                em.createNativeQuery("DELETE FROM step WHERE run_id = ?1")
                    .setParameter(1, runId)
                    .executeUpdate();
                em.createNativeQuery("DELETE FROM run WHERE id = ?1")
                    .setParameter(1, runId)
                    .executeUpdate();
              });
      throw e;
    }
    return new Launch(run, true);
  }

  /**
   * Share-locks the input artifacts' rows and re-checks that retention has not deleted them:
   * retention takes the row lock before deleting and then sees this run's row, so it keeps the
   * inputs.
   */
  private void requireInputsStored(java.util.Collection<String> artifactIds) {
    for (String id : artifactIds) {
      @SuppressWarnings("unchecked")
      List<Object> deletedAt =
          em.createNativeQuery("SELECT deleted_at FROM artifact WHERE id = ?1 FOR SHARE")
              .setParameter(1, id)
              .getResultList();
      if (!deletedAt.isEmpty() && deletedAt.get(0) != null) {
        throw ApiProblem.conflict(
            "input "
                + id
                + " was deleted by retention a moment ago; launch again with another input");
      }
    }
  }

  public RunEntity cancel(String runId, String reason) {
    RunEntity run = get(runId);
    if (RunStatus.valueOf(run.status).terminal()) {
      throw ApiProblem.conflict("run " + runId + " is already " + run.status);
    }
    try {
      temporal.newWorkflowStub(PipelineWorkflow.class, runId).cancel(reason);
    } catch (WorkflowNotFoundException e) {
      // Its execution is gone (lost with an embedded service): the catalog is all there is to
      // update.
      QuarkusTransaction.requiringNew()
          .run(() -> markLost(runId, RunStatus.CANCELLED, "cancelled: " + reason));
    } catch (WorkflowServiceException e) {
      throw unavailable(e);
    }
    return get(runId);
  }

  public RunEntity approve(String runId, String stepId, String user) {
    get(runId);
    StepEntity step = StepEntity.findById(new StepEntity.Key(runId, stepId));
    if (step == null) {
      throw ApiProblem.notFound("run " + runId + " has no step '" + stepId + "'");
    }
    if (!StepStatus.WAITING_APPROVAL.name().equals(step.status)) {
      throw ApiProblem.conflict(
          "step '" + stepId + "' is " + step.status + ", not WAITING_APPROVAL");
    }
    // Signed for the waiting attempt: the workflow drops approval signals the backend did not sign
    // (H2).
    Number waiting =
        (Number)
            em.createNativeQuery(
                    "SELECT max(attempt) FROM step_attempt WHERE run_id = ?1 "
                        + "AND step_id = ?2 AND status = 'WAITING_APPROVAL'")
                .setParameter(1, runId)
                .setParameter(2, stepId)
                .getSingleResult();
    if (waiting == null) {
      throw ApiProblem.conflict("step '" + stepId + "' has no attempt waiting for approval");
    }
    String signature =
        signing.sign(TaskSignatures.approvalPayload(runId, stepId, waiting.intValue(), user));
    try {
      temporal
          .newWorkflowStub(PipelineWorkflow.class, runId)
          .approve(new PipelineWorkflow.Approval(stepId, user, signature));
    } catch (WorkflowServiceException e) {
      throw unavailable(e);
    }
    return get(runId);
  }

  /** Runs the run again from its failed steps, reusing every completed step's recorded outputs. */
  public RunEntity retry(String runId) {
    RunEntity run = get(runId);
    if (!RETRYABLE.contains(run.status)) {
      throw ApiProblem.conflict(
          "run "
              + runId
              + " is "
              + run.status
              + "; only FAILED, CANCELLED or INTERRUPTED runs can be retried");
    }
    ExecutionPlan plan = json.convertValue(run.plan, ExecutionPlan.class);
    Map<String, Map<String, ArtifactRef>> reused = completedOutputs(runId);
    // A step whose outputs retention deleted is no longer complete: the retry runs it again.
    @SuppressWarnings("unchecked")
    List<String> pruned =
        em.createNativeQuery(
                "SELECT DISTINCT so.step_id FROM step_output so "
                    + "JOIN artifact a ON a.id = so.artifact_id WHERE so.run_id = ?1 AND a.deleted_at IS NOT NULL")
            .setParameter(1, runId)
            .getResultList();
    pruned.forEach(reused::remove);
    Map<String, Integer> attempts = new HashMap<>();
    for (StepAttemptEntity attempt : StepAttemptEntity.ofRun(runId)) {
      attempts.merge(attempt.stepId, attempt.attempt, Math::max);
    }
    Map<String, ArtifactRef> artifacts = new HashMap<>();
    for (PlannedStep step : plan.steps()) {
      for (InputBinding binding : step.inputs()) {
        if (!binding.fromStepOutput()) {
          ArtifactEntity artifact = ArtifactEntity.findById(binding.artifactId());
          if (artifact != null && artifact.deleted()) {
            throw ApiProblem.conflict(
                "run "
                    + runId
                    + " reads "
                    + artifact.id
                    + ", which retention deleted on "
                    + artifact.deletedAt.toLocalDate()
                    + "; launch a new run with another input");
          }
          if (artifact != null) {
            artifacts.put(artifact.id, new ArtifactRef(artifact.id, artifact.uri));
          }
        }
      }
    }
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              em.createNativeQuery(
                      "UPDATE run SET status = 'PENDING', error = NULL, finished_at = NULL, "
                          + "executions = executions + 1 WHERE id = ?1")
                  .setParameter(1, runId)
                  .executeUpdate();
              em.createNativeQuery(
                      "UPDATE step SET status = 'PENDING' WHERE run_id = ?1 AND (status NOT IN ('SUCCEEDED', 'REUSED') "
                          + "OR step_id IN (SELECT so.step_id FROM step_output so JOIN artifact a ON a.id = so.artifact_id "
                          + "WHERE so.run_id = ?1 AND a.deleted_at IS NOT NULL))")
                  .setParameter(1, runId)
                  .executeUpdate();
              startWorkflow(
                  new RunRequest(runId, plan, artifacts, reused, attempts),
                  WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE);
            });
    em.clear(); // the run was read before the update above: answer with what is stored now
    return get(runId);
  }

  public RunEntity get(String runId) {
    RunEntity run = RunEntity.findById(runId);
    if (run == null || !scope.caller().sees(run.team)) {
      throw ApiProblem.notFound("no run '" + runId + "'");
    }
    return run;
  }

  /** Outputs of each step's latest successful attempt. */
  public Map<String, Map<String, ArtifactRef>> completedOutputs(String runId) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT so.step_id, so.name, a.id, a.uri FROM step_output so "
                    + "JOIN step_attempt sa ON sa.run_id = so.run_id AND sa.step_id = so.step_id AND sa.attempt = so.attempt "
                    + "JOIN step s ON s.run_id = so.run_id AND s.step_id = so.step_id "
                    + "JOIN artifact a ON a.id = so.artifact_id "
                    + "WHERE so.run_id = ?1 AND sa.status = 'SUCCEEDED' AND s.status IN ('SUCCEEDED', 'REUSED') "
                    + "ORDER BY so.attempt")
            .setParameter(1, runId)
            .getResultList();
    Map<String, Map<String, ArtifactRef>> outputs = new LinkedHashMap<>();
    for (Object[] row : rows) {
      outputs
          .computeIfAbsent((String) row[0], k -> new LinkedHashMap<>())
          .put((String) row[1], new ArtifactRef((String) row[2], (String) row[3]));
    }

    // Approval steps succeed without outputs but must still count as completed.
    for (StepEntity step : StepEntity.ofRun(runId)) {
      if ((step.status.equals("SUCCEEDED") || step.status.equals("REUSED"))
          && !outputs.containsKey(step.stepId)) {
        outputs.put(step.stepId, Map.of());
      }
    }
    return outputs;
  }

  /**
   * Marks a run whose execution no longer exists as ended, with its unfinished steps and attempts.
   */
  void markLost(String runId, RunStatus status, String error) {
    String stepStatus = status == RunStatus.CANCELLED ? "CANCELLED" : "FAILED";
    em.createNativeQuery(
            "UPDATE step_attempt SET status = ?2, error = ?3, finished_at = now() "
                + "WHERE run_id = ?1 AND status IN ('RUNNING', 'WAITING_APPROVAL')")
        .setParameter(1, runId)
        .setParameter(2, stepStatus)
        .setParameter(3, error)
        .executeUpdate();
    em.createNativeQuery(
            "UPDATE step SET status = CASE WHEN status = 'PENDING' THEN ?3 ELSE ?2 END "
                + "WHERE run_id = ?1 AND status IN ('PENDING', 'RUNNING', 'WAITING_APPROVAL')")
        .setParameter(1, runId)
        .setParameter(2, stepStatus)
        .setParameter(3, status == RunStatus.CANCELLED ? "CANCELLED" : "PENDING")
        .executeUpdate();
    em.createNativeQuery(
            "UPDATE run SET status = ?2, error = ?3, finished_at = now() WHERE id = ?1")
        .setParameter(1, runId)
        .setParameter(2, status.name())
        .setParameter(3, error)
        .executeUpdate();
  }

  private RunEntity insertRun(
      String runId,
      TemplateVersionEntity template,
      Map<String, Object> params,
      ExecutionPlan plan,
      String idempotencyKey,
      String user,
      String team) {
    RunEntity run = new RunEntity();
    run.id = runId;
    run.templateName = template.templateName;
    run.templateVersion = template.version;
    run.status = RunStatus.PENDING.name();
    run.params = new LinkedHashMap<>(params);
    @SuppressWarnings("unchecked")
    Map<String, Object> planTree = json.convertValue(plan, Map.class);
    run.plan = planTree;
    run.idempotencyKey = idempotencyKey;
    run.launchedBy = user;
    run.team = team;
    run.executions = 1;
    run.createdAt = OffsetDateTime.now();
    run.persist();
    int position = 0;
    for (PlannedStep planned : plan.steps()) {
      StepEntity step = new StepEntity();
      step.runId = runId;
      step.stepId = planned.id();
      step.position = position++;
      step.kind = planned.kind();
      step.status = StepStatus.PENDING.name();
      step.needs = planned.needs();
      step.persist();
    }
    em.flush();
    return run;
  }

  private void startWorkflow(RunRequest request, WorkflowIdReusePolicy reuse) {
    PipelineWorkflow workflow =
        temporal.newWorkflowStub(
            PipelineWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(request.runId())
                .setTaskQueue(TaskQueues.WORKFLOWS)
                .setWorkflowIdReusePolicy(reuse)
                .build());
    try {
      WorkflowClient.start(workflow::run, request);
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw e;
    } catch (WorkflowServiceException | StatusRuntimeException e) {
      throw unavailable(e);
    }
  }

  private static ApiProblem unavailable(Exception e) {
    Throwable cause =
        e instanceof WorkflowServiceException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof StatusRuntimeException status
        && status.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
      return ApiProblem.conflict("the run's workflow is still running");
    }
    return new ApiProblem(
        503,
        "Service Unavailable",
        "the workflow service is unavailable: " + cause.getMessage(),
        List.of());
  }

  /**
   * The IETF Idempotency-Key draft: a key reused with a different payload is refused (422), never
   * answered with the run of the first. Same payload means the same template, the same parameters
   * as given (compared as JSON values), and the same version where the request names one (without
   * one, it asked for the version the first request was resolved to).
   */
  private void requireSameRequest(
      RunEntity run, String templateName, Integer version, Map<String, Object> params) {
    boolean same =
        run.templateName.equals(templateName)
            && (version == null || version == run.templateVersion)
            && json.valueToTree(params == null ? Map.of() : params)
                .equals(NUMERICALLY, json.valueToTree(run.params));
    if (!same) {
      throw new ApiProblem(
          422,
          "Unprocessable Content",
          "this Idempotency-Key was used for a different request (run "
              + run.id
              + "); send a new key for a new run",
          List.of(
              new FieldError(
                  "Idempotency-Key", "already used with another template, version or params")));
    }
  }

  /** 1 and 1.0 are the same parameter value, however JSON wrote them. */
  private static final java.util.Comparator<com.fasterxml.jackson.databind.JsonNode> NUMERICALLY =
      (a, b) ->
          a.isNumber() && b.isNumber()
              ? a.decimalValue().compareTo(b.decimalValue())
              : a.equals(b) ? 0 : 1;

  private Optional<RunEntity> byIdempotencyKey(String key) {
    return RunEntity.find("idempotencyKey", key).firstResultOptional();
  }

  private static String newRunId() {
    byte[] random = new byte[4];
    RANDOM.nextBytes(random);
    return "run-"
        + OffsetDateTime.now(ZoneOffset.UTC).format(ID_TIME)
        + "-"
        + HexFormat.of().formatHex(random);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
