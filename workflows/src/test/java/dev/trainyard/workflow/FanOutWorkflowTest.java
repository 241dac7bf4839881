package dev.trainyard.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.pipeline.Pipelines;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.spec.Expressions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A compiled follow fan-out and select-best chain, run by the real workflow on Temporal's test
 * server: each expansion gets the matching producer's artifact, and the chosen artifacts flow on.
 */
class FanOutWorkflowTest {
  private static final String BASE = "b".repeat(64);
  private static final String EVALSET = "e".repeat(64);

  private static final String SPEC =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: prune-and-pick
      params:
        base: {type: checkpoint}
        evalset: {type: dataset}
      steps:
        - id: prune
          kind: prune
          matrix: {sparsity: [0.25, 0.5, 0.75]}
          model: ${{ params.base }}
          method: magnitude
          config: {sparsity: "${{ matrix.sparsity }}"}
        - id: eval
          kind: evaluate
          model: ${{ steps.prune.outputs.model }}
          data: ${{ params.evalset }}
        - id: best
          kind: select-best
          candidates: ${{ steps.eval.outputs.report[*] }}
          metric: exact_match
        - id: final
          kind: evaluate
          model: ${{ steps.best.outputs.model }}
          data: ${{ params.evalset }}
          gate: {metric: exact_match, beat: "${{ steps.eval.outputs.report[*] }}"}
      """;

  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private final RecordingLedger ledger = new RecordingLedger();
  private final KindOutputs worker = new KindOutputs();
  private final PickBest backend = new PickBest();

  /** Exact match each evaluation scores, by step: the middle sparsity wins. */
  static final Map<String, Double> SCORES = Map.of("eval-0", 0.4, "eval-1", 0.7, "eval-2", 0.7);

  /**
   * Worker activities that store one artifact per output of the step's kind, named after the step
   * ({@code prune-1.model}), and remember what each step read.
   */
  static final class KindOutputs implements StepActivities {
    final List<String> executed = new CopyOnWriteArrayList<>();
    final Map<String, Map<String, String>> read = new ConcurrentHashMap<>();

    @Override
    public StepResult execute(StepTask task) {
      executed.add(task.stepId());
      var inputs = new LinkedHashMap<String, String>();
      task.inputs().forEach((name, ref) -> inputs.put(name, ref.id()));
      read.put(task.stepId(), inputs);
      var outputs = new LinkedHashMap<String, ProducedArtifact>();
      StepKinds.of(task.kind())
          .outputsIn(task.body())
          .forEach(o -> outputs.put(o.name(), artifact(task.stepId() + "." + o.name())));
      return new StepResult(outputs, Map.of(), "test-worker", List.of(), "");
    }
  }

  /**
   * The backend's select-best as far as the workflow sees it: the best-scoring candidate's report
   * and the model its evaluation read (the backend test runs the real one on real reports).
   */
  final class PickBest implements BackendStepActivities {
    final List<String> candidates = new CopyOnWriteArrayList<>();

    @Override
    public StepResult execute(StepTask task) {
      String best = null;
      for (Object token : (List<?>) task.body().get("candidates")) {
        String report = task.inputs().get(Expressions.inputName(token).orElseThrow()).id();
        candidates.add(report);
        String step = report.substring(0, report.lastIndexOf('.'));
        if (best == null || SCORES.get(step) > SCORES.get(best)) {
          best = step;
        }
      }
      String model = worker.read.get(best).get(best.replace("eval", "prune") + ".model");
      return new StepResult(
          Map.of("model", artifact(model), "report", artifact(best + ".report")),
          Map.of("selected_value", SCORES.get(best)),
          "backend",
          List.of(),
          "");
    }
  }

  private static ProducedArtifact artifact(String id) {
    return new ProducedArtifact(
        id, "files", "file:///store/" + id, 1, List.of(new ManifestEntry("f", 1, "aa")));
  }

  @BeforeEach
  void start() {
    env = TestWorkflowEnvironment.newInstance();
    Worker workflows = env.newWorker(TaskQueues.WORKFLOWS);
    workflows.registerWorkflowImplementationTypes(PipelineWorkflowImpl.class);
    workflows.registerActivitiesImplementations(ledger, new RecordingGate(), backend);
    env.newWorker(TaskQueues.pool("default")).registerActivitiesImplementations(worker);
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  @Test
  void eachFollowingEvaluationReadsItsOwnPrunedModelAndTheSelectedModelFlowsOn() {
    ExecutionPlan plan = Pipelines.compile(SPEC, Map.of("base", BASE, "evalset", EVALSET));
    PipelineWorkflow run =
        client.newWorkflowStub(
            PipelineWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId("fan")
                .setTaskQueue(TaskQueues.WORKFLOWS)
                .build());
    RunOutcome outcome =
        run.run(
            RunRequest.fresh(
                "fan",
                plan,
                Map.of(
                    BASE, new ArtifactRef(BASE, "file:///store/base"),
                    EVALSET, new ArtifactRef(EVALSET, "file:///store/evalset"))));

    assertThat(outcome.status()).as(outcome.error()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(ledger.steps)
        .containsOnlyKeys(
            "prune-0", "prune-1", "prune-2", "eval-0", "eval-1", "eval-2", "best", "final");
    for (int i = 0; i < 3; i++) {
      assertThat(worker.read.get("eval-" + i))
          .containsEntry("prune-" + i + ".model", "prune-" + i + ".model")
          .containsEntry("params." + "evalset", EVALSET)
          .hasSize(2);
      // An evaluation starts after its own pruned model, whatever the other expansions do.
      assertThat(worker.executed.indexOf("eval-" + i))
          .isGreaterThan(worker.executed.indexOf("prune-" + i));
    }
    assertThat(backend.candidates)
        .containsExactly("eval-0.report", "eval-1.report", "eval-2.report");
    // The chosen report is eval-1's (scripted above); its model is the one eval-1 read, and it
    // feeds `final`.
    assertThat(outcome.outputs().get("best").get("model").id()).isEqualTo("prune-1.model");
    assertThat(worker.read.get("final"))
        .containsEntry("best.model", "prune-1.model")
        .containsEntry("eval-0.report", "eval-0.report")
        .containsEntry("eval-1.report", "eval-1.report")
        .containsEntry("eval-2.report", "eval-2.report");
    assertThat(worker.executed.getLast()).isEqualTo("final");
  }
}
