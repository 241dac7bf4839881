package dev.trainyard.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trainyard.worker.gpu.GpuInventory;
import dev.trainyard.worker.launch.Pids;
import dev.trainyard.worker.steps.StepFiles;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import dev.trainyard.workflow.TaskQueues;
import dev.trainyard.workflow.trust.StepGrant;
import dev.trainyard.workflow.trust.TaskSignatures;
import dev.trainyard.workflow.trust.TaskVerifier;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real worker polling the SDK's in-memory Temporal service, driven by a one-step workflow. */
class TrainyardWorkerTest {
  private static final String WORKFLOWS = "test-workflows";

  /** Stands in for the backend's signing key; the worker gets only its public half. */
  private static final KeyPair BACKEND = keyPair();

  /** Stands in for the pipeline workflow: runs one step on a pool's queue, once. */
  @WorkflowInterface
  public interface RunOneStep {
    @WorkflowMethod
    StepResult run(StepTask task, String pool);
  }

  public static class RunOneStepImpl implements RunOneStep {
    @Override
    public StepResult run(StepTask task, String pool) {
      StepActivities steps =
          Workflow.newActivityStub(
              StepActivities.class,
              ActivityOptions.newBuilder()
                  .setTaskQueue(TaskQueues.pool(pool))
                  .setStartToCloseTimeout(Duration.ofMinutes(2))
                  .setHeartbeatTimeout(Duration.ofSeconds(10))
                  .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                  .build());
      return steps.execute(task);
    }
  }

  @TempDir Path root;
  private TestWorkflowEnvironment env;
  private TrainyardWorker worker;

  @BeforeEach
  void setUp() {
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    env.newWorker(WORKFLOWS).registerWorkflowImplementationTypes(RunOneStepImpl.class);
    env.start();
    worker =
        new TrainyardWorker(
            new WorkerConfig(root, List.of("default", "h100"), 2, Duration.ofSeconds(2)),
            env.getWorkflowClient(),
            GpuInventory.none(),
            new TaskVerifier(BACKEND.getPublic()));
    worker.start();
  }

  @AfterEach
  void tearDown() {
    worker.close();
    env.close();
  }

  @Test
  void aWorkerRunsStepsFromEveryPoolItServes() {
    StepTask task =
        signed(
            new StepTask(
                "run-1",
                "hello",
                "command",
                1,
                Map.of("run", "echo hi > $TRAINYARD_OUTPUT/hi.txt"),
                Map.of(),
                0,
                60),
            BACKEND);

    StepResult onH100 = workflow().run(task, "h100");
    StepResult onDefault =
        workflow()
            .run(
                signed(
                    new StepTask("run-2", "hello", "command", 1, task.body(), Map.of(), 0, 60),
                    BACKEND),
                "default");

    assertThat(onH100.outputs().get("output").files())
        .singleElement()
        .satisfies(f -> assertThat(f.path()).isEqualTo("hi.txt"));
    assertThat(onDefault.outputs().get("output").id())
        .isEqualTo(onH100.outputs().get("output").id());
  }

  @Test
  void closingTheWorkerStopsItsRunningStepsAsARetryableFailure() throws Exception {
    String marker = Pids.uniqueSleep(600);
    StepTask task =
        signed(
            new StepTask(
                "run-1",
                "long",
                "command",
                1,
                Map.of("run", "sleep " + marker + " & sleep " + marker),
                Map.of(),
                0,
                600),
            BACKEND);
    CompletableFuture<StepResult> running =
        CompletableFuture.supplyAsync(() -> workflow().run(task, "default"));
    List<Long> pids = Pids.awaitWithArgument(marker, 2, Duration.ofSeconds(20));

    worker.close();

    assertThat(pids).allSatisfy(pid -> assertThat(Pids.isRunning(pid)).as("pid %d", pid).isFalse());
    assertThat(worker.runningSteps()).isZero();
    assertThatThrownBy(() -> running.get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(ActivityFailure.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("WorkerShutdown");
              assertThat(failure.isNonRetryable()).isFalse();
            });
  }

  /**
   * H2: someone with Temporal access schedules a step directly on a pool's queue (this test's
   * workflow is theirs). Unsigned, signed by another key, or altered after signing: it is refused
   * before a work dir or a process exists.
   */
  @Test
  void aStepTheBackendDidNotSignStartsNothing() throws Exception {
    Path marker = root.resolve("pwned");
    StepTask evil =
        new StepTask(
            "run-9", "evil", "command", 1, Map.of("run", "touch " + marker), Map.of(), 0, 60);
    StepTask harmless =
        signed(
            new StepTask("run-9", "evil", "command", 1, Map.of("run", "true"), Map.of(), 0, 60),
            BACKEND);
    List<StepTask> forged =
        List.of(
            evil,
            signed(evil, keyPair()),
            new StepTask(
                "run-9", "evil", "command", 1, evil.body(), Map.of(), 0, 60, harmless.grant()),
            new StepTask(
                "run-9",
                "evil",
                "command",
                1,
                evil.body(),
                Map.of(),
                0,
                60,
                new StepGrant(1, "bm90IGEgc2lnbmF0dXJl")));

    for (StepTask task : forged) {
      assertThatThrownBy(() -> workflow().run(task, "default"))
          .isInstanceOf(WorkflowFailedException.class)
          .cause()
          .isInstanceOf(ActivityFailure.class)
          .cause()
          .isInstanceOfSatisfying(
              ApplicationFailure.class,
              failure -> {
                assertThat(failure.getType()).isEqualTo("UnsignedStep");
                assertThat(failure.isNonRetryable()).isTrue();
              });
    }

    assertThat(marker).doesNotExist();
    assertThat(StepFiles.workDir(root, "run-9", "evil", 1)).doesNotExist();
  }

  @Test
  void aRetryOfASignedStepRunsUnderTheSameGrant() {
    StepTask first =
        signed(
            new StepTask(
                "run-3",
                "again",
                "command",
                1,
                Map.of("run", "echo $TRAINYARD_ATTEMPT > $TRAINYARD_OUTPUT/n"),
                Map.of(),
                0,
                60),
            BACKEND);
    StepTask retry =
        new StepTask("run-3", "again", "command", 2, first.body(), Map.of(), 0, 60, first.grant());

    assertThat(workflow().run(first, "default").outputs()).containsKey("output");
    assertThat(workflow().run(retry, "default").outputs()).containsKey("output");
  }

  static StepTask signed(StepTask task, KeyPair key) {
    try {
      Signature signer = Signature.getInstance(TaskSignatures.ALGORITHM);
      signer.initSign(key.getPrivate());
      signer.update(
          TaskSignatures.stepPayload(
              task.runId(), task.stepId(), 1, TaskSignatures.resolvedStepSha256(task)));
      return task.withGrant(new StepGrant(1, Base64.getEncoder().encodeToString(signer.sign())));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair keyPair() {
    try {
      return KeyPairGenerator.getInstance(TaskSignatures.ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private RunOneStep workflow() {
    return env.getWorkflowClient()
        .newWorkflowStub(
            RunOneStep.class, WorkflowOptions.newBuilder().setTaskQueue(WORKFLOWS).build());
  }
}
