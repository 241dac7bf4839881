package dev.trainyard.worker;

import dev.trainyard.worker.launch.Pids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trainyard.worker.gpu.GpuInventory;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepResult;
import dev.trainyard.workflow.StepTask;
import dev.trainyard.workflow.TaskQueues;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

  /** Stands in for the pipeline workflow: runs one step on a pool's queue, once. */
  @WorkflowInterface
  public interface RunOneStep {
    @WorkflowMethod
    StepResult run(StepTask task, String pool);
  }

  public static class RunOneStepImpl implements RunOneStep {
    @Override
    public StepResult run(StepTask task, String pool) {
      StepActivities steps = Workflow.newActivityStub(StepActivities.class, ActivityOptions.newBuilder()
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
    env = TestWorkflowEnvironment.newInstance(TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    env.newWorker(WORKFLOWS).registerWorkflowImplementationTypes(RunOneStepImpl.class);
    env.start();
    worker = new TrainyardWorker(
        new WorkerConfig(root, List.of("default", "h100"), 2, Duration.ofSeconds(2)),
        env.getWorkflowClient(), GpuInventory.none());
    worker.start();
  }

  @AfterEach
  void tearDown() {
    worker.close();
    env.close();
  }

  @Test
  void aWorkerRunsStepsFromEveryPoolItServes() {
    StepTask task = new StepTask("run-1", "hello", "command", 1,
        Map.of("run", "echo hi > $TRAINYARD_OUTPUT/hi.txt"), Map.of(), 0, 60);

    StepResult onH100 = workflow().run(task, "h100");
    StepResult onDefault = workflow().run(
        new StepTask("run-2", "hello", "command", 1, task.body(), Map.of(), 0, 60), "default");

    assertThat(onH100.outputs().get("output").files()).singleElement()
        .satisfies(f -> assertThat(f.path()).isEqualTo("hi.txt"));
    assertThat(onDefault.outputs().get("output").id()).isEqualTo(onH100.outputs().get("output").id());
  }

  @Test
  void closingTheWorkerStopsItsRunningStepsAsARetryableFailure() throws Exception {
    String marker = Pids.uniqueSleep(600);
    StepTask task = new StepTask("run-1", "long", "command", 1,
        Map.of("run", "sleep " + marker + " & sleep " + marker), Map.of(), 0, 600);
    CompletableFuture<StepResult> running = CompletableFuture.supplyAsync(() -> workflow().run(task, "default"));
    List<Long> pids = Pids.awaitWithArgument(marker, 2, Duration.ofSeconds(20));

    worker.close();

    assertThat(pids).allSatisfy(pid -> assertThat(Pids.isRunning(pid)).as("pid %d", pid).isFalse());
    assertThat(worker.runningSteps()).isZero();
    assertThatThrownBy(() -> running.get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(WorkflowFailedException.class)
        .cause().isInstanceOf(ActivityFailure.class)
        .cause().isInstanceOfSatisfying(ApplicationFailure.class, failure -> {
          assertThat(failure.getType()).isEqualTo("WorkerShutdown");
          assertThat(failure.isNonRetryable()).isFalse();
        });
  }

  private RunOneStep workflow() {
    return env.getWorkflowClient().newWorkflowStub(RunOneStep.class,
        WorkflowOptions.newBuilder().setTaskQueue(WORKFLOWS).build());
  }
}
