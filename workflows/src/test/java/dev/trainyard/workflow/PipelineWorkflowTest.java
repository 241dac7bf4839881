package dev.trainyard.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.InputBinding;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.pipeline.plan.RetrySpec;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PipelineWorkflowTest {
  private TestWorkflowEnvironment env;
  private RecordingLedger ledger;
  private RecordingGate gate;
  private ScriptedSteps steps;
  private WorkflowClient client;

  @BeforeEach
  void start() {
    env = TestWorkflowEnvironment.newInstance();
    ledger = new RecordingLedger();
    gate = new RecordingGate();
    steps = new ScriptedSteps();
    Worker workflows = env.newWorker(TaskQueues.WORKFLOWS);
    workflows.registerWorkflowImplementationTypes(PipelineWorkflowImpl.class);
    workflows.registerActivitiesImplementations(ledger, gate);
    // Heartbeats reach the service at most every second, so a cancellation is noticed quickly.
    env.newWorker(
            TaskQueues.pool("default"),
            WorkerOptions.newBuilder()
                .setMaxHeartbeatThrottleInterval(Duration.ofSeconds(1))
                .build())
        .registerActivitiesImplementations(steps);
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop(org.junit.jupiter.api.TestInfo test) throws Exception {
    // `-Dtrainyard.recordHistories=true` refreshes the committed histories that the replay test
    // replays; do it only for a deliberate, versioned change of the workflow.
    if (Boolean.getBoolean("trainyard.recordHistories")) {
      String id = lastRunId;
      if (id != null) {
        String json = client.fetchHistory(id).toJson(true);
        java.nio.file.Files.writeString(
            java.nio.file.Path.of(
                "src/test/resources/histories",
                test.getTestMethod().orElseThrow().getName()
                    + System.getProperty("trainyard.historySuffix", "")
                    + ".json"),
            json);
      }
    }
    env.close();
  }

  private String lastRunId;

  static PlannedStep step(
      String id, String kind, List<String> needs, Map<String, Object> body, RetrySpec retry) {
    List<InputBinding> inputs =
        needs.stream().map(n -> InputBinding.ofStep(n + ".output", "input", n, "output")).toList();
    return new PlannedStep(id, kind, "default", 0, needs, body, inputs, 60, retry);
  }

  static PlannedStep step(String id, List<String> needs) {
    return step(id, "command", needs, Map.of(), RetrySpec.DEFAULT);
  }

  private PipelineWorkflow newRun(String runId) {
    lastRunId = runId;
    return client.newWorkflowStub(
        PipelineWorkflow.class,
        WorkflowOptions.newBuilder()
            .setWorkflowId(runId)
            .setTaskQueue(TaskQueues.WORKFLOWS)
            .build());
  }

  @Test
  void fanOutAndFanInRunEveryStepOnceAfterItsNeeds() {
    ExecutionPlan plan =
        new ExecutionPlan(
            "hello",
            List.of(
                step("greet", List.of()),
                step("shard-0", List.of("greet")),
                step("shard-1", List.of("greet")),
                step("join", List.of("shard-0", "shard-1"))));
    RunOutcome outcome = newRun("r1").run(RunRequest.fresh("r1", plan, Map.of()));

    assertThat(outcome.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(steps.executed).hasSize(4).startsWith("greet#1").endsWith("join#1");
    assertThat(ledger.steps).containsOnlyKeys("greet", "shard-0", "shard-1", "join");
    assertThat(ledger.steps.values()).containsOnly(StepStatus.SUCCEEDED);
    assertThat(ledger.events).contains("join#1 SUCCEEDED inputs=[shard-0.output, shard-1.output]");
    assertThat(outcome.outputs()).containsKeys("greet", "shard-0", "shard-1", "join");
  }

  @Test
  void aFailingStepIsRetriedPerItsPolicyWithNumberedAttempts() {
    RetrySpec threeTimes = new RetrySpec(3, 0.01, 1);
    ExecutionPlan plan =
        new ExecutionPlan(
            "p", List.of(step("flaky", "command", List.of(), Map.of("fail_times", 2), threeTimes)));
    RunOutcome outcome = newRun("r2").run(RunRequest.fresh("r2", plan, Map.of()));

    assertThat(outcome.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(steps.executed).containsExactly("flaky#1", "flaky#2", "flaky#3");
    assertThat(ledger.events)
        .contains(
            "flaky#1 FAILED: scripted failure 1",
            "flaky#2 FAILED: scripted failure 2",
            "flaky#3 SUCCEEDED inputs=[]");
  }

  @Test
  void aMissingRuntimeAnInvalidConfigOrAFailedGateIsNeverRetried() {
    RetrySpec threeTimes = new RetrySpec(3, 0.01, 1);
    ExecutionPlan plan =
        new ExecutionPlan(
            "p",
            List.of(
                step(
                    "no-python",
                    "sft",
                    List.of(),
                    Map.of("fail_times", 9, "fail_type", "RuntimeMissing"),
                    threeTimes),
                step(
                    "bad-config",
                    "sft",
                    List.of(),
                    Map.of("fail_times", 9, "fail_type", "InvalidStep"),
                    threeTimes),
                step(
                    "gate",
                    "evaluate",
                    List.of(),
                    Map.of("fail_times", 9, "fail_type", "GateFailed"),
                    threeTimes),
                step(
                    "crash",
                    "sft",
                    List.of(),
                    Map.of("fail_times", 9, "fail_type", "StepFailed"),
                    threeTimes)));
    RunOutcome outcome = newRun("r-types").run(RunRequest.fresh("r-types", plan, Map.of()));

    assertThat(outcome.status()).isEqualTo(RunStatus.FAILED);
    assertThat(steps.executed)
        .containsExactlyInAnyOrder(
            "no-python#1", "bad-config#1", "gate#1", "crash#1", "crash#2", "crash#3");
  }

  @Test
  void aFailedGateKeepsItsReportAsAnArtifactOfTheFailedAttempt() {
    ExecutionPlan plan =
        new ExecutionPlan(
            "p",
            List.of(
                step(
                    "eval",
                    "evaluate",
                    List.of(),
                    Map.of("fail_times", 1, "fail_type", "GateFailed"),
                    RetrySpec.DEFAULT),
                step("after", List.of("eval"))));
    RunOutcome outcome = newRun("r-gate").run(RunRequest.fresh("r-gate", plan, Map.of()));

    assertThat(outcome.status()).isEqualTo(RunStatus.FAILED);
    assertThat(outcome.error()).isEqualTo("step 'eval' failed: scripted failure 1");
    assertThat(ledger.events).contains("eval#1 FAILED keeping [report]: scripted failure 1");
    assertThat(ledger.steps)
        .containsEntry("eval", StepStatus.FAILED)
        .containsEntry("after", StepStatus.SKIPPED);
  }

  @Test
  void whenAStepFailsItsDependentsAreSkippedAndTheRunFails() {
    ExecutionPlan plan =
        new ExecutionPlan(
            "p",
            List.of(
                step("bad", "command", List.of(), Map.of("fail_times", 9), RetrySpec.DEFAULT),
                step("after", List.of("bad")),
                step("independent", List.of())));
    RunOutcome outcome = newRun("r3").run(RunRequest.fresh("r3", plan, Map.of()));

    assertThat(outcome.status()).isEqualTo(RunStatus.FAILED);
    assertThat(outcome.error()).isEqualTo("step 'bad' failed: scripted failure 1");
    assertThat(ledger.steps)
        .containsEntry("bad", StepStatus.FAILED)
        .containsEntry("after", StepStatus.SKIPPED)
        .containsEntry("independent", StepStatus.SUCCEEDED);
    assertThat(ledger.runStatus).isEqualTo(RunStatus.FAILED);
  }

  @Test
  void anApprovalStepWaitsForTheApproveSignal() {
    ExecutionPlan plan =
        new ExecutionPlan(
            "p",
            List.of(
                step("gate", "approval", List.of(), Map.of(), RetrySpec.DEFAULT),
                new PlannedStep(
                    "after",
                    "command",
                    "default",
                    0,
                    List.of("gate"),
                    Map.of(),
                    List.of(),
                    60,
                    RetrySpec.DEFAULT)));
    PipelineWorkflow run = newRun("r4");
    WorkflowClient.start(run::run, RunRequest.fresh("r4", plan, Map.of()));
    env.sleep(Duration.ofSeconds(5));
    assertThat(run.progress().steps().get("gate").status()).isEqualTo(StepStatus.WAITING_APPROVAL);
    assertThat(steps.executed).isEmpty();

    run.approve(new PipelineWorkflow.Approval("gate", "alice", RecordingGate.BACKEND_SIGNATURE));
    RunOutcome outcome = WorkflowStub.fromTyped(run).getResult(RunOutcome.class);
    assertThat(outcome.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(ledger.events).contains("gate#1 APPROVED by alice");
    assertThat(steps.executed).containsExactly("after#1");
  }

  @Test
  void anApprovalSignalWithoutTheBackendsSignatureIsRefusedAndTheStepKeepsWaiting() {
    ExecutionPlan plan =
        new ExecutionPlan(
            "p",
            List.of(
                step("gate", "approval", List.of(), Map.of(), RetrySpec.DEFAULT),
                new PlannedStep(
                    "after",
                    "command",
                    "default",
                    0,
                    List.of("gate"),
                    Map.of(),
                    List.of(),
                    60,
                    RetrySpec.DEFAULT)));
    PipelineWorkflow run = newRun("r4f");
    WorkflowClient.start(run::run, RunRequest.fresh("r4f", plan, Map.of()));
    env.sleep(Duration.ofSeconds(5));

    run.approve(new PipelineWorkflow.Approval("gate", "mallory"));
    run.approve(new PipelineWorkflow.Approval("gate", "mallory", "forged"));
    env.sleep(Duration.ofSeconds(5));

    assertThat(gate.refusedApprovals).containsExactly("gate by mallory", "gate by mallory");
    assertThat(run.progress().steps().get("gate").status()).isEqualTo(StepStatus.WAITING_APPROVAL);
    assertThat(steps.executed).isEmpty();
    run.approve(new PipelineWorkflow.Approval("gate", "alice", RecordingGate.BACKEND_SIGNATURE));
    assertThat(WorkflowStub.fromTyped(run).getResult(RunOutcome.class).status())
        .isEqualTo(RunStatus.SUCCEEDED);
    assertThat(ledger.events)
        .contains("gate#1 APPROVED by alice")
        .noneMatch(e -> e.contains("mallory"));
  }

  @Test
  void aRunTheBackendDoesNotAdmitRunsNoStepAndWritesNothingToTheCatalog() {
    gate.refusedRuns.add("r-stolen");
    PipelineWorkflow run = newRun("r-stolen");
    WorkflowClient.start(
        run::run,
        RunRequest.fresh(
            "r-stolen", new ExecutionPlan("p", List.of(step("a", List.of()))), Map.of()));

    RunOutcome outcome = WorkflowStub.fromTyped(run).getResult(RunOutcome.class);

    assertThat(outcome.status()).isEqualTo(RunStatus.FAILED);
    assertThat(outcome.error())
        .isEqualTo("refused by the backend: run r-stolen is already SUCCEEDED");
    assertThat(steps.executed).isEmpty();
    assertThat(ledger.events).isEmpty();
  }

  @Test
  void everyStepRunsWithTheBackendsGrantAndAStepItRefusesFailsWithoutRunning() {
    gate.refusedSteps.add("b");
    PipelineWorkflow run = newRun("r-grants");
    WorkflowClient.start(
        run::run,
        RunRequest.fresh(
            "r-grants",
            new ExecutionPlan("p", List.of(step("a", List.of()), step("b", List.of()))),
            Map.of()));

    RunOutcome outcome = WorkflowStub.fromTyped(run).getResult(RunOutcome.class);

    assertThat(outcome.status()).isEqualTo(RunStatus.FAILED);
    assertThat(outcome.error()).contains("the backend refused to sign step 'b'");
    assertThat(steps.executed).containsExactly("a#1");
    assertThat(steps.grants).containsExactly("grant for r-grants/a");
  }

  @Test
  void cancelStopsTheRunningStepAndPendingStepsNeverStart() {
    ExecutionPlan plan =
        new ExecutionPlan(
            "p",
            List.of(
                step("long", "command", List.of(), Map.of("sleep_ms", 60_000), RetrySpec.DEFAULT),
                step("next", List.of("long"))));
    PipelineWorkflow run = newRun("r5");
    WorkflowClient.start(run::run, RunRequest.fresh("r5", plan, Map.of()));
    while (steps.executed.isEmpty()) {
      env.sleep(Duration.ofMillis(100));
    }
    run.cancel("user asked");
    RunOutcome outcome = WorkflowStub.fromTyped(run).getResult(RunOutcome.class);

    assertThat(outcome.status()).isEqualTo(RunStatus.CANCELLED);
    assertThat(steps.cancelled).containsExactly("long");
    assertThat(ledger.steps)
        .containsEntry("long", StepStatus.CANCELLED)
        .containsEntry("next", StepStatus.CANCELLED);
    assertThat(ledger.runError).isEqualTo("cancelled: user asked");
  }

  @Test
  void aStepWithTheSameKindBodyAndInputsAsACompletedOneReusesItsOutputUnlessItOptsOut() {
    ExecutionPlan plan =
        new ExecutionPlan(
            "p",
            List.of(
                step("same", "command", List.of(), Map.of("run", "x"), RetrySpec.DEFAULT),
                step(
                    "fresh",
                    "command",
                    List.of(),
                    Map.of("run", "x", "cache", false),
                    RetrySpec.DEFAULT)));
    RunOutcome first = newRun("c1").run(RunRequest.fresh("c1", plan, Map.of()));
    RunOutcome second = newRun("c2").run(RunRequest.fresh("c2", plan, Map.of()));

    assertThat(second.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(steps.executed).containsExactlyInAnyOrder("same#1", "fresh#1", "fresh#1");
    assertThat(ledger.events).contains("same#1 CACHE HIT");
    assertThat(second.outputs().get("same")).isEqualTo(first.outputs().get("same"));
  }

  /** A tokenize step of the worked example's shape, on a dataset version and a tokenizer. */
  static final String TOKENIZE_PIPELINE =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: tokens
      params:
        chats: {type: dataset}
        base: {type: checkpoint}
      steps:
        - id: tokenize
          kind: tokenize
          data: ${{ params.chats }}
          tokenizer: ${{ params.base }}
          config: {records: chat}
      """;

  @Test
  void aSecondTokenizeOfTheSameDatasetVersionTokenizerAndSettingsIsACacheHitByDefault() {
    String dataset = "d".repeat(64);
    String tokenizer = "e".repeat(64);
    Map<String, ArtifactRef> artifacts =
        Map.of(
            dataset, new ArtifactRef(dataset, "file:///store/" + dataset),
            tokenizer, new ArtifactRef(tokenizer, "file:///store/" + tokenizer));
    ExecutionPlan plan =
        dev.trainyard.pipeline.Pipelines.compile(
            TOKENIZE_PIPELINE, Map.of("chats", dataset, "base", tokenizer));
    RunOutcome first = newRun("t1").run(RunRequest.fresh("t1", plan, artifacts));
    RunOutcome second = newRun("t2").run(RunRequest.fresh("t2", plan, artifacts));

    assertThat(first.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(second.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(steps.executed).containsExactly("tokenize#1");
    assertThat(ledger.events).contains("tokenize#1 CACHE HIT");
    assertThat(second.outputs().get("tokenize")).isEqualTo(first.outputs().get("tokenize"));
  }

  @Test
  void retryFromFailedReusesCompletedStepsAndContinuesAttemptNumbers() {
    ExecutionPlan plan =
        new ExecutionPlan("p", List.of(step("done", List.of()), step("redo", List.of("done"))));
    var reused = Map.of("done", Map.of("output", new ArtifactRef("abc", "file:///store/abc")));
    RunOutcome outcome =
        newRun("r6").run(new RunRequest("r6", plan, Map.of(), reused, Map.of("redo", 1)));

    assertThat(outcome.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(steps.executed).containsExactly("redo#2");
    assertThat(ledger.events).contains("done reused", "redo#2 SUCCEEDED inputs=[done.output]");
  }
}
