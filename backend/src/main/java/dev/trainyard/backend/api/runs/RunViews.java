package dev.trainyard.backend.api.runs;

import dev.trainyard.backend.api.openapi.ParamValue;
import dev.trainyard.backend.catalog.RunEntity;
import dev.trainyard.backend.catalog.StepAttemptEntity;
import dev.trainyard.backend.catalog.StepEntity;
import dev.trainyard.backend.runs.RunRepository;
import dev.trainyard.backend.runs.StepFilesReader;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.RunStatus;
import dev.trainyard.workflow.StepStatus;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Read models of runs as the API answers them. */
public final class RunViews {
  private RunViews() {}

  public record RunSummary(
      String id,
      String template,
      int templateVersion,
      @Schema(implementation = RunStatus.class) String status,
      OffsetDateTime createdAt,
      @Schema(nullable = true) OffsetDateTime startedAt,
      @Schema(nullable = true) OffsetDateTime finishedAt,
      @Schema(nullable = true) String launchedBy) {
    static RunSummary of(RunRepository.RunSummaryRow r) {
      return new RunSummary(
          r.id(),
          r.templateName(),
          r.templateVersion(),
          r.status().name(),
          r.createdAt(),
          r.startedAt(),
          r.finishedAt(),
          r.launchedBy());
    }
  }

  public record AttemptView(
      int attempt,
      @Schema(implementation = StepStatus.class) String status,
      @Schema(nullable = true) String worker,
      @Schema(nullable = true) OffsetDateTime startedAt,
      @Schema(nullable = true) OffsetDateTime finishedAt,
      @Schema(nullable = true) String error,
      @Schema(nullable = true) Map<String, Double> metrics,
      @Schema(nullable = true) String cacheHitOf) {
    static AttemptView of(StepAttemptEntity a) {
      return new AttemptView(
          a.attempt,
          a.status.name(),
          a.worker,
          a.startedAt,
          a.finishedAt,
          a.error,
          a.metrics,
          a.cacheSource);
    }
  }

  public record OutputView(String artifactId) {}

  public record StepView(
      String id,
      String kind,
      @Schema(implementation = StepStatus.class) String status,
      List<String> needs,
      List<AttemptView> attempts,
      Map<String, OutputView> outputs) {}

  public record RunView(
      String id,
      String template,
      int templateVersion,
      @Schema(implementation = RunStatus.class) String status,
      OffsetDateTime createdAt,
      @Schema(nullable = true) OffsetDateTime startedAt,
      @Schema(nullable = true) OffsetDateTime finishedAt,
      @Schema(nullable = true) String launchedBy,
      int executions,
      @Schema(additionalProperties = ParamValue.class) Map<String, Object> params,
      @Schema(nullable = true) String error,
      List<StepView> steps,
      @Schema(nullable = true, description = "The trigger and event that launched it")
          dev.trainyard.backend.triggers.TriggeredBy triggeredBy) {
    static RunView of(
        RunEntity run,
        List<StepEntity> steps,
        List<StepAttemptEntity> attempts,
        Map<String, Map<String, ArtifactRef>> outputs) {
      List<StepView> stepViews =
          steps.stream()
              .map(
                  s ->
                      new StepView(
                          s.stepId,
                          s.kind,
                          s.status.name(),
                          s.needs,
                          attempts.stream()
                              .filter(a -> a.stepId.equals(s.stepId))
                              .map(AttemptView::of)
                              .toList(),
                          outputs.getOrDefault(s.stepId, Map.of()).entrySet().stream()
                              .collect(
                                  java.util.stream.Collectors.toMap(
                                      Map.Entry::getKey,
                                      e -> new OutputView(e.getValue().id()),
                                      (a, b) -> b,
                                      java.util.LinkedHashMap::new))))
              .toList();
      return new RunView(
          run.id,
          run.templateName,
          run.templateVersion,
          run.status.name(),
          run.createdAt,
          run.startedAt,
          run.finishedAt,
          run.launchedBy,
          run.executions,
          run.params,
          run.error,
          stepViews,
          dev.trainyard.backend.triggers.TriggeredBy.of(run.triggeredBy));
    }
  }

  /** A step's metric points, in the order its metrics file has them. */
  public record StepMetrics(List<StepFilesReader.MetricPoint> points) {}

  /**
   * @param nextCursor the cursor of the next page; null on the last
   */
  public record RunPage(List<RunSummary> items, @Schema(nullable = true) String nextCursor) {}

  public record LaunchBody(
      String template,
      Integer version,
      @Schema(additionalProperties = ParamValue.class) Map<String, Object> params) {}

  public record CancelBody(String reason) {}
}
