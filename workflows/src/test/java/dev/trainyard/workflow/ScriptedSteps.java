package dev.trainyard.workflow;

import io.temporal.activity.Activity;
import io.temporal.client.ActivityCanceledException;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Step activities whose behaviour a test scripts by the step body: {@code fail_times: N} fails the
 * first N attempts (as {@code fail_type}, default StepFailed), {@code sleep_ms} runs that long
 * while heartbeating (and notices cancellation).
 */
class ScriptedSteps implements StepActivities {
  final List<String> executed = new CopyOnWriteArrayList<>();
  final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  final List<String> cancelled = new CopyOnWriteArrayList<>();
  final List<String> grants = new CopyOnWriteArrayList<>();

  @Override
  public StepResult execute(StepTask task) {
    executed.add(task.stepId() + "#" + task.attempt());
    grants.add(task.grant() == null ? "none" : task.grant().signature());
    int call = calls.computeIfAbsent(task.stepId(), k -> new AtomicInteger()).incrementAndGet();
    long sleep = ((Number) task.body().getOrDefault("sleep_ms", 0)).longValue();
    long until = System.currentTimeMillis() + sleep;
    while (System.currentTimeMillis() < until) {
      try {
        Activity.getExecutionContext().heartbeat(null);
        Thread.sleep(50);
      } catch (ActivityCanceledException e) {
        cancelled.add(task.stepId());
        throw e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RuntimeException(e);
      }
    }
    int failTimes = ((Number) task.body().getOrDefault("fail_times", 0)).intValue();
    if (call <= failTimes) {
      String type = (String) task.body().getOrDefault("fail_type", "StepFailed");
      // Like a worker, a failure type that keeps its output sends what it stored as the details.
      Object[] details =
          FailureType.fromWire(type).map(FailureType::keepsOutput).orElse(false)
              ? new Object[] {result(task, "report")}
              : new Object[0];
      throw ApplicationFailure.newNonRetryableFailure("scripted failure " + call, type, details);
    }
    return result(task, "output");
  }

  private static StepResult result(StepTask task, String output) {
    String id = Integer.toHexString((task.stepId() + task.attempt()).hashCode());
    var artifact =
        new ProducedArtifact(
            id, "files", "file:///store/" + id, 1, List.of(new ManifestEntry("f", 1, "aa")));
    return new StepResult(Map.of(output, artifact), Map.of(), "test-worker", List.of(), "");
  }
}
