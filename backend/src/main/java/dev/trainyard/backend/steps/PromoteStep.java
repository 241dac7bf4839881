package dev.trainyard.backend.steps;

import dev.trainyard.backend.audit.AuditLog;
import dev.trainyard.backend.catalog.AliasEntity;
import dev.trainyard.backend.catalog.Aliases;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.backend.common.Sha256;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.spec.Expressions;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.FailureType;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/**
 * {@code promote}: points an alias at the step's model, as the run's launcher, audited and in the
 * alias history. With {@code report}, only when that evaluation's gate passed (a failed gate's
 * report is marked failed; the step also waits for the evaluate step, which fails with its gate).
 */
@ApplicationScoped
public class PromoteStep implements BackendStepRunner {
  @Inject Aliases aliases;
  @Inject AuditLog audit;
  @Inject dev.trainyard.backend.cards.ModelCards cards;

  @Override
  public StepKind kind() {
    return StepKinds.PROMOTE;
  }

  @Override
  public StepResult run(StepTask task) {
    String alias = (String) task.body().get("alias");
    ArtifactRef model = input(task, "model");
    ArtifactRef report = task.body().get("report") == null ? null : input(task, "report");
    String moved =
        QuarkusTransaction.requiringNew()
            .call(
                () -> {
                  if (report != null
                      && ArtifactEntity.<ArtifactEntity>findByIdOptional(report.id())
                          .map(r -> r.failed)
                          .orElse(true)) {
                    throw FailureType.REFUSED.failure(
                        "promote: the gate of report "
                            + report.id().substring(0, 12)
                            + " failed; alias '"
                            + alias
                            + "' stays where it was");
                  }
                  AliasEntity current = AliasEntity.findById(alias);
                  if (current != null && current.artifactId.equals(model.id())) {
                    return "alias '"
                        + alias
                        + "' already points at "
                        + model.id(); // a retried attempt moves nothing twice
                  }
                  RunEntity run = RunEntity.findById(task.runId());
                  String previous;
                  try {
                    previous = aliases.move(alias, model.id(), run.launchedBy);
                  } catch (Aliases.TargetDeleted e) {
                    throw FailureType.INPUT_MISSING.failure("promote: " + e.getMessage());
                  }
                  audit.append(
                      run.launchedBy,
                      "",
                      run.team,
                      "STEP promote",
                      "/api/v1/aliases/" + alias,
                      200,
                      null,
                      task.runId() + "/" + task.stepId() + "/" + task.attempt(),
                      Sha256.of(model.id()));
                  return "moved alias '" + alias + "' from " + previous + " to " + model.id();
                });
    cards.publishQuietly(model.id(), launcher(task));
    return new StepResult(Map.of(), Map.of(), "backend", List.of(), moved);
  }

  private static String launcher(StepTask task) {
    return QuarkusTransaction.requiringNew()
        .call(() -> RunEntity.<RunEntity>findById(task.runId()).launchedBy);
  }

  private static ArtifactRef input(StepTask task, String field) {
    return Expressions.inputName(task.body().get(field))
        .map(name -> task.inputs().get(name))
        .orElseThrow(
            () -> FailureType.INVALID_STEP.failure("promote: '" + field + "' names no input"));
  }
}
