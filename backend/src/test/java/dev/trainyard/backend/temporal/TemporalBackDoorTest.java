package dev.trainyard.backend.temporal;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.pipeline.plan.RetrySpec;
import dev.trainyard.workflow.PipelineWorkflow;
import dev.trainyard.workflow.RunOutcome;
import dev.trainyard.workflow.RunRequest;
import dev.trainyard.workflow.RunStatus;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import dev.trainyard.workflow.TaskQueues;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * H2, the probe repeated against a running backend: whoever reaches Temporal — here with the stolen
 * client certificate, the worst case once mTLS is in place — can start workflows and send signals,
 * but the backend signs nothing the catalog does not back, so no worker runs any of it.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class TemporalBackDoorTest {
  static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");

  @Inject TemporalRuntime temporal;
  @Inject TrainyardConfig config;
  @Inject jakarta.persistence.EntityManager em;
  @Inject com.fasterxml.jackson.databind.ObjectMapper json;

  private WorkflowServiceStubs stolenStubs;
  private WorkflowClient stolen;

  @BeforeEach
  void connectWithTheStolenCertificate() {
    Api.signIn();
    WorkflowServiceStubsOptions.Builder options =
        WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.target());
    temporal.clientTls().orElseThrow().applyTo(options);
    stolenStubs = WorkflowServiceStubs.newServiceStubs(options.build());
    stolen =
        WorkflowClient.newInstance(
            stolenStubs,
            WorkflowClientOptions.newBuilder()
                .setNamespace(config.temporal().namespace())
                .setIdentity("mallory")
                .build());
  }

  @AfterEach
  void disconnect() {
    stolenStubs.shutdownNow();
  }

  @Test
  void aPipelineStartedDirectlyOnTemporalWithAFinishedRunsIdRunsNothingAndIsAudited()
      throws Exception {
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: finished-then-hijacked
        steps:
          - id: hello
            kind: command
            run: "echo hi > $TRAINYARD_OUTPUT/hi"
        """);
    String runId = Api.launch("finished-then-hijacked", Map.of()).getString("id");
    assertThat(Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(60)).getString("status"))
        .isEqualTo("SUCCEEDED");
    Path marker = Files.createTempDirectory("trainyard-h2").resolve("pwned");

    RunOutcome sameId = startDirectly(runId, runId, marker);
    RunOutcome otherId = startDirectly("run-not-launched-" + UUID.randomUUID(), runId, marker);
    RunOutcome madeUp = startDirectly("run-made-up", "run-made-up", marker);

    assertThat(sameId.status()).isEqualTo(RunStatus.FAILED);
    assertThat(sameId.error())
        .isEqualTo("refused by the backend: run " + runId + " is already SUCCEEDED");
    assertThat(otherId.error()).contains("carries run id " + runId);
    assertThat(madeUp.error()).contains("run run-made-up was not launched through the API");
    Thread.sleep(1_000); // a started process would have written the marker by now
    assertThat(marker).doesNotExist();
    JsonPath run = Api.run(runId);
    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(run.getList("steps.id", String.class)).containsExactly("hello");
    assertThat(run.getList("steps.find { it.id == 'hello' }.attempts.attempt", Integer.class))
        .containsExactly(1);
    List<Map<String, Object>> refusals = refusals("/api/v1/runs/" + runId);
    assertThat(refusals)
        .hasSize(2)
        .allSatisfy(
            e -> {
              assertThat(e.get("actor")).isEqualTo("temporal-client");
              assertThat(e.get("status")).isEqualTo(403);
            });
    assertThat(refusals.get(0).get("action").toString()).contains("is already SUCCEEDED");
    assertThat(refusals("/api/v1/runs/run-made-up")).hasSize(1);
    given()
        .get("/api/v1/audit/verify")
        .then()
        .statusCode(200)
        .body("intact", org.hamcrest.Matchers.equalTo(true));
  }

  /**
   * Their own workflow, sending a step task straight to a pool's queue: the in-process worker
   * refuses it.
   */
  @Test
  void aStepTaskScheduledByAnotherWorkflowIsRefusedByTheWorkerBeforeAnyProcessStarts()
      throws Exception {
    Path marker = Files.createTempDirectory("trainyard-h2").resolve("pwned");
    WorkerFactory theirs = WorkerFactory.newInstance(stolen);
    theirs
        .newWorker("mallory-workflows")
        .registerWorkflowImplementationTypes(SendsOneStepImpl.class);
    theirs.start();
    try {
      SendsOneStep workflow =
          stolen.newWorkflowStub(
              SendsOneStep.class,
              WorkflowOptions.newBuilder()
                  .setTaskQueue("mallory-workflows")
                  .setWorkflowExecutionTimeout(Duration.ofSeconds(60))
                  .build());
      StepTask task =
          new StepTask(
              "run-x", "pwn", "command", 1, Map.of("run", "touch " + marker), Map.of(), 0, 60);

      assertThatThrownBy(() -> workflow.run(task))
          .isInstanceOf(WorkflowFailedException.class)
          .cause()
          .isInstanceOf(ActivityFailure.class)
          .cause()
          .isInstanceOfSatisfying(
              ApplicationFailure.class,
              failure -> assertThat(failure.getType()).isEqualTo("UnsignedStep"));
      assertThat(marker).doesNotExist();
      assertThat(config.home().resolve("work").resolve("run-x")).doesNotExist();
    } finally {
      theirs.shutdownNow();
    }
  }

  @Test
  void aForgedApprovalSignalIsRefusedAndAuditedWhileTheApiApprovalGoesThrough() throws Exception {
    Path marker = Files.createTempDirectory("trainyard-h2").resolve("shipped");
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: forged-approval
        steps:
          - id: gate
            kind: approval
          - id: ship
            kind: command
            needs: [gate]
            run: "touch %s"
        """
            .formatted(marker));
    String runId = Api.launch("forged-approval", Map.of()).getString("id");
    Api.awaitStepStatus(runId, "gate", "WAITING_APPROVAL", Duration.ofSeconds(30));

    PipelineWorkflow run = stolen.newWorkflowStub(PipelineWorkflow.class, runId);
    run.approve(new PipelineWorkflow.Approval("gate", "mallory"));
    run.approve(new PipelineWorkflow.Approval("gate", "mallory", "bm90IHRoZSBiYWNrZW5kJ3M="));
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> refusals("/api/v1/runs/" + runId + "/steps/gate").size() == 2);

    assertThat(Api.run(runId).getString("steps.find { it.id == 'gate' }.status"))
        .isEqualTo("WAITING_APPROVAL");
    assertThat(Api.run(runId).getString("steps.find { it.id == 'ship' }.status"))
        .isEqualTo("PENDING");
    assertThat(marker).doesNotExist();
    assertThat(refusals("/api/v1/runs/" + runId + "/steps/gate").get(0).get("action").toString())
        .contains("approval signal by 'mallory' without the backend's signature");

    given().post("/api/v1/runs/" + runId + "/steps/gate/approve").then().statusCode(202);
    JsonPath done = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(30));
    assertThat(done.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(done.getString("steps.find { it.id == 'gate' }.attempts[0].worker"))
        .isEqualTo("approved by local");
    assertThat(marker).exists();
  }

  /**
   * Terminating an unfinished run's workflow and starting it again with a plan of one's own gains
   * nothing.
   */
  @Test
  void anUnfinishedRunRestartedWithAnotherPlanIsRefusedAndAudited() throws Exception {
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: waiting-then-swapped
        steps:
          - id: gate
            kind: approval
        """);
    String runId = Api.launch("waiting-then-swapped", Map.of()).getString("id");
    Api.awaitStepStatus(runId, "gate", "WAITING_APPROVAL", Duration.ofSeconds(30));
    Path marker = Files.createTempDirectory("trainyard-h2").resolve("pwned");
    stolen.newUntypedWorkflowStub(runId).terminate("mallory");

    RunOutcome swapped = startDirectly(runId, runId, marker);

    assertThat(swapped.error())
        .isEqualTo(
            "refused by the backend: its plan is not the one recorded when run "
                + runId
                + " was launched");
    assertThat(marker).doesNotExist();
    assertThat(refusals("/api/v1/runs/" + runId))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.get("action").toString())
                    .contains("its plan is not the one recorded"));
  }

  /**
   * The gate keeps each run's parsed plan between steps; a plan that changes in the catalog after
   * the first step was signed is read again, so the next step, still the workflow's original, no
   * longer matches and is refused. A cache keyed by the run alone would sign it.
   */
  @Test
  void aPlanChangedInTheCatalogAfterTheFirstSignedStepGetsTheNextStepRefused() throws Exception {
    Path marker = Files.createTempDirectory("trainyard-h2").resolve("second-ran");
    Api.createTemplate(
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: plan-changed-mid-run
        steps:
          - id: first
            kind: command
            run: "echo one > $TRAINYARD_OUTPUT/one"
          - id: gate
            kind: approval
            needs: [first]
          - id: second
            kind: command
            needs: [gate]
            run: "touch %s; echo two > $TRAINYARD_OUTPUT/two"
        """
            .formatted(marker));
    String runId = Api.launch("plan-changed-mid-run", Map.of()).getString("id");
    Api.awaitStepStatus(runId, "gate", "WAITING_APPROVAL", Duration.ofSeconds(60));
    assertThat(Api.run(runId).getString("steps.find { it.id == 'first' }.status"))
        .isEqualTo("SUCCEEDED");

    io.quarkus.narayana.jta.QuarkusTransaction.requiringNew()
        .run(
            () -> {
              String text =
                  (String)
                      em.createNativeQuery("SELECT CAST(plan AS text) FROM run WHERE id = ?1")
                          .setParameter(1, runId)
                          .getSingleResult();
              try {
                var plan = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(text);
                for (var step : plan.withArray("steps")) {
                  if (step.path("id").asText().equals("second")) {
                    ((com.fasterxml.jackson.databind.node.ObjectNode) step.get("body"))
                        .put("run", "echo changed > $TRAINYARD_OUTPUT/two");
                  }
                }
                int changed =
                    em.createNativeQuery("UPDATE run SET plan = CAST(?1 AS jsonb) WHERE id = ?2")
                        .setParameter(1, json.writeValueAsString(plan))
                        .setParameter(2, runId)
                        .executeUpdate();
                assertThat(changed).isEqualTo(1);
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    given().post("/api/v1/runs/" + runId + "/steps/gate/approve").then().statusCode(202);

    JsonPath done = Api.awaitStatus(runId, TERMINAL, Duration.ofSeconds(60));
    assertThat(done.getString("status")).isEqualTo("FAILED");
    assertThat(done.getString("steps.find { it.id == 'second' }.status")).isEqualTo("FAILED");
    assertThat(marker).doesNotExist();
    assertThat(refusals("/api/v1/runs/" + runId + "/steps/second"))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.get("action").toString())
                    .contains("step 'second' is not the step recorded in the run's plan"));
  }

  /** Another local account cannot take the certificate or the signing key from the home. */
  @Test
  void anotherUnixUserCannotReadTheClientKeyOrTheSigningKey() throws Exception {
    try (ProbeUser nobody = ProbeUser.create()) {
      Path home = config.home().toAbsolutePath();
      ProbeUser.Result tls = nobody.sh("cat " + home.resolve("tls/client.key"));
      ProbeUser.Result signing = nobody.sh("cat " + home.resolve("keys/task-signing.key"));

      assertThat(tls.exitCode()).isNotZero();
      assertThat(tls.output()).contains("Permission denied");
      assertThat(signing.exitCode()).isNotZero();
      assertThat(signing.output()).contains("Permission denied");
    }
  }

  private RunOutcome startDirectly(String workflowId, String runId, Path marker) throws Exception {
    ExecutionPlan plan =
        new ExecutionPlan(
            "evil",
            List.of(
                new PlannedStep(
                    "pwn",
                    "command",
                    "default",
                    0,
                    List.of(),
                    Map.of("run", "touch " + marker),
                    List.of(),
                    60,
                    RetrySpec.DEFAULT)));
    PipelineWorkflow workflow =
        stolen.newWorkflowStub(
            PipelineWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(workflowId)
                .setTaskQueue(TaskQueues.WORKFLOWS)
                .setWorkflowIdReusePolicy(
                    WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
                .build());
    WorkflowClient.start(workflow::run, RunRequest.fresh(runId, plan, Map.of()));
    return WorkflowStub.fromTyped(workflow)
        .getResult(30, java.util.concurrent.TimeUnit.SECONDS, RunOutcome.class);
  }

  private static List<Map<String, Object>> refusals(String target) {
    List<Map<String, Object>> items =
        given()
            .queryParam("action", "TEMPORAL REFUSED")
            .queryParam("limit", 1000)
            .get("/api/v1/audit")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("items");
    return items.stream().filter(e -> target.equals(e.get("target"))).toList();
  }

  @WorkflowInterface
  public interface SendsOneStep {
    @WorkflowMethod(name = "MalloryStep")
    StepResult run(StepTask task);
  }

  public static class SendsOneStepImpl implements SendsOneStep {
    @Override
    public StepResult run(StepTask task) {
      return Workflow.newActivityStub(
              StepActivities.class,
              ActivityOptions.newBuilder()
                  .setTaskQueue(TaskQueues.pool("default"))
                  .setStartToCloseTimeout(Duration.ofSeconds(30))
                  .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                  .build())
          .execute(task);
    }
  }
}
