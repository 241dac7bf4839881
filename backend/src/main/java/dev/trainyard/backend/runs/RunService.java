package dev.trainyard.backend.runs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.ApiProblem.FieldError;
import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.backend.catalog.StepEntity;
import dev.trainyard.backend.catalog.TemplateEntity;
import dev.trainyard.backend.catalog.TemplateVersionEntity;
import dev.trainyard.backend.common.Sha256;
import dev.trainyard.backend.security.Caller;
import dev.trainyard.backend.security.TeamScope;
import dev.trainyard.backend.templates.TemplateService;
import dev.trainyard.pipeline.Pipelines;
import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.pipeline.spec.PipelineSpec;
import dev.trainyard.pipeline.validate.InvalidSpecException;
import dev.trainyard.pipeline.validate.Problem;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.RunRequest;
import dev.trainyard.workflow.RunStatus;
import dev.trainyard.workflow.StepStatus;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceException;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Launches runs. A run row and its workflow are created together: the workflow is started right
 * after the row is committed and the row removed again if the start fails, so a failed start leaves
 * no row, and a run id derived from the Idempotency-Key makes a repeated request answer with the
 * first run. Cancelling, approving and retrying are {@link RunControl}'s; reading is {@link
 * RunReader}'s.
 */
@ApplicationScoped
public class RunService {
  private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
  private static final SecureRandom RANDOM = new SecureRandom();

  @Inject TemplateService templates;
  @Inject RunWorkflows workflows;
  @Inject ObjectMapper json;
  @Inject EntityManager em;
  @Inject TeamScope scope;
  @Inject dev.trainyard.backend.home.StoredArtifacts stored;
  @Inject RunRepository repository;

  public record Launch(RunEntity run, boolean created) {}

  public Launch launch(
      String templateName, Integer version, Map<String, Object> params, String idempotencyKey) {
    return launch(scope.caller(), templateName, version, params, idempotencyKey, null);
  }

  /** As the caller of a request would, for launches no request makes (a schedule's ticks). */
  public Launch launch(
      Caller caller,
      String templateName,
      Integer version,
      Map<String, Object> params,
      String idempotencyKey) {
    return launch(caller, templateName, version, params, idempotencyKey, null);
  }

  /**
   * A launch on behalf of {@code caller} outside a request (a schedule's tick, a trigger): the same
   * checks, and the run records {@code triggeredBy} (null when no trigger launched it).
   */
  public Launch launch(
      Caller caller,
      String templateName,
      Integer version,
      Map<String, Object> params,
      String idempotencyKey,
      Map<String, Object> triggeredBy) {
    String user = caller.name();
    if (idempotencyKey != null) {
      Optional<RunEntity> existing = byIdempotencyKey(idempotencyKey);
      if (existing.isPresent()) {
        if (!caller.sees(existing.get().team)) {
          throw ApiProblem.notFound("no run for this Idempotency-Key");
        }
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
    if (!caller.sees(owner.team)) {
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
    Map<String, Object> given = params == null ? Map.of() : params;
    Checked checked = check(template, given, caller, problems);
    Map<String, ArtifactRef> artifacts = checked.inputs().artifacts();
    ExecutionPlan plan = checked.plan();
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
                    RunEntity inserted =
                        insertRun(
                            runId, template, given, compiled, idempotencyKey, user, owner.team);
                    inserted.triggeredBy = triggeredBy;
                    return inserted;
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
      workflows.start(
          RunRequest.fresh(runId, compiled, artifacts),
          WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE);
    } catch (RuntimeException e) {
      QuarkusTransaction.requiringNew().run(() -> repository.deleteUnstarted(runId));
      throw e;
    }
    return new Launch(run, true);
  }

  private record Checked(LaunchParams.Resolved inputs, ExecutionPlan plan) {}

  /**
   * Every problem launching this template version with these parameters would meet, with its path
   * ({@code params.lr: ...}), launching nothing: what a schedule checks when it is saved.
   */
  public List<FieldError> problems(
      TemplateVersionEntity template, Map<String, Object> params, Caller caller) {
    List<FieldError> problems = new ArrayList<>();
    check(template, params == null ? Map.of() : params, caller, problems);
    return problems;
  }

  private Checked check(
      TemplateVersionEntity template,
      Map<String, Object> given,
      Caller caller,
      List<FieldError> problems) {
    PipelineSpec spec = Pipelines.parse(template.spec);
    LaunchParams.Resolved inputs = LaunchParams.resolve(spec, given, caller, problems);
    ExecutionPlan plan = null;
    try {
      plan = Pipelines.compile(spec, inputs.params());
    } catch (InvalidSpecException e) {
      for (Problem p : e.problems()) {
        problems.add(new FieldError(p.path(), p.message()));
      }
    }
    if (plan != null) {
      problems.addAll(VocabularyFit.problems(spec, plan, stored, json));
    }
    return new Checked(inputs, plan);
  }

  /**
   * Share-locks the input artifacts' rows and re-checks that retention has not deleted them:
   * retention takes the row lock before deleting and then sees this run's row, so it keeps the
   * inputs.
   */
  private void requireInputsStored(java.util.Collection<String> artifactIds) {
    for (String id : artifactIds) {
      if (repository.deletedUnderShareLock(id)) {
        throw ApiProblem.conflict(
            "input "
                + id
                + " was deleted by retention a moment ago; launch again with another input");
      }
    }
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
    run.status = RunStatus.PENDING;
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
      step.status = StepStatus.PENDING;
      step.needs = planned.needs();
      step.persist();
    }
    em.flush();
    repository.insertInputs(runId, plan);
    return run;
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
    return repository.byIdempotencyKey(key);
  }

  private static String newRunId() {
    byte[] random = new byte[4];
    RANDOM.nextBytes(random);
    return "run-"
        + OffsetDateTime.now(ZoneOffset.UTC).format(ID_TIME)
        + "-"
        + HexFormat.of().formatHex(random);
  }
}
