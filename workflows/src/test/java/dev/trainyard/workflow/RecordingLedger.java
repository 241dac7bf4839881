package dev.trainyard.workflow;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A ledger that keeps its records in memory, for workflow tests (the real one, in the backend, is
 * tested on PostgreSQL).
 */
class RecordingLedger implements LedgerActivities {
  final List<String> events = new CopyOnWriteArrayList<>();
  final Map<String, StepStatus> steps = new ConcurrentHashMap<>();
  volatile RunStatus runStatus;
  volatile String runError;

  @Override
  public void runStarted(String runId) {
    events.add("run started");
  }

  @Override
  public void stepReused(String runId, String stepId) {
    steps.put(stepId, StepStatus.REUSED);
    events.add(stepId + " reused");
  }

  @Override
  public void attemptStarted(String runId, String stepId, int attempt, StepStatus status) {
    steps.put(stepId, status);
    events.add(stepId + "#" + attempt + " " + status);
  }

  /** Cache keys of succeeded attempts, to answer later lookups like the catalog does. */
  final Map<String, Map<String, ArtifactRef>> cache = new ConcurrentHashMap<>();

  private final Map<String, String> pendingKeys = new ConcurrentHashMap<>();

  @Override
  public StepCacheHit beginAttempt(
      String runId, String stepId, int attempt, String cacheKey, List<InputUse> inputs) {
    Map<String, ArtifactRef> hit = cache.get(cacheKey);
    if (hit != null) {
      steps.put(stepId, StepStatus.SUCCEEDED);
      events.add(stepId + "#" + attempt + " CACHE HIT");
      return new StepCacheHit(hit, "earlier");
    }
    pendingKeys.put(runId + "/" + stepId + "/" + attempt, cacheKey);
    attemptStarted(runId, stepId, attempt, StepStatus.RUNNING);
    return null;
  }

  @Override
  public void attemptSucceeded(
      String runId, String stepId, int attempt, StepResult result, List<InputUse> inputs) {
    steps.put(stepId, StepStatus.SUCCEEDED);
    String key = pendingKeys.remove(runId + "/" + stepId + "/" + attempt);
    if (key != null) {
      Map<String, ArtifactRef> refs = new java.util.LinkedHashMap<>();
      result.outputs().forEach((name, a) -> refs.put(name, new ArtifactRef(a.id(), a.uri())));
      cache.put(key, refs);
    }
    events.add(
        stepId
            + "#"
            + attempt
            + " SUCCEEDED inputs="
            + inputs.stream().map(InputUse::name).toList());
  }

  @Override
  public void attemptApproved(String runId, String stepId, int attempt, String approvedBy) {
    steps.put(stepId, StepStatus.SUCCEEDED);
    events.add(stepId + "#" + attempt + " APPROVED by " + approvedBy);
  }

  @Override
  public void attemptFailedWithOutputs(
      String runId,
      String stepId,
      int attempt,
      String error,
      StepResult result,
      List<InputUse> inputs) {
    steps.put(stepId, StepStatus.FAILED);
    events.add(
        stepId
            + "#"
            + attempt
            + " FAILED keeping "
            + new java.util.TreeMap<>(result.outputs()).keySet()
            + ": "
            + error);
  }

  @Override
  public void attemptEnded(
      String runId, String stepId, int attempt, StepStatus status, String error) {
    steps.put(stepId, status);
    events.add(stepId + "#" + attempt + " " + status + ": " + error);
  }

  @Override
  public void stepsNotRun(String runId, List<String> stepIds, StepStatus status) {
    stepIds.forEach(
        id -> {
          steps.put(id, status);
          events.add(id + " " + status);
        });
  }

  @Override
  public void runFinished(String runId, RunStatus status, String error) {
    runStatus = status;
    runError = error;
    events.add("run " + status);
  }
}
