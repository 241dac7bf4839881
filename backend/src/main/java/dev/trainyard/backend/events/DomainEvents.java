package dev.trainyard.backend.events;

import dev.trainyard.backend.catalog.DatasetVersionEntity;
import dev.trainyard.backend.runs.RunRepository;
import dev.trainyard.workflow.ArtifactRef;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes domain events into the outbox, inside the transaction of the change they report ({@code
 * MANDATORY}: called without one, it fails instead of writing an event the change may not match).
 * The catalog calls one method per change; each reads what it reports from the rows the change just
 * wrote, so an event never says more or less than the catalog.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.MANDATORY)
public class DomainEvents {
  @Inject EventRepository events;
  @Inject RunRepository runs;

  /** The run's status became RUNNING (each execution: a retried run starts again). */
  public void runStarted(String runId) {
    events
        .run(runId)
        .ifPresent(
            run ->
                events.append(
                    EventType.RUN_STARTED,
                    (String) run.get("team"),
                    "run.started:" + runId + ":" + run.get("executions"),
                    Map.of("run", run)));
  }

  /** The run ended (its status says how), with the outputs of its completed steps. */
  public void runEnded(String runId) {
    events
        .run(runId)
        .ifPresent(
            run -> {
              Map<String, Map<String, ArtifactRef>> byStep = runs.completedOutputs(runId);
              Map<String, Object> outputs = new LinkedHashMap<>(); // by name: a later step wins
              Map<String, Object> steps = new LinkedHashMap<>();
              byStep.forEach(
                  (step, named) -> {
                    Map<String, Object> ids = new LinkedHashMap<>();
                    named.forEach((name, ref) -> ids.put(name, ref.id()));
                    steps.put(step, Map.of("outputs", ids));
                    outputs.putAll(ids);
                  });
              Map<String, Object> data = new LinkedHashMap<>(run);
              data.put("outputs", outputs);
              data.put("steps", steps);
              events.append(
                  EventType.RUN_ENDED,
                  (String) run.get("team"),
                  "run.ended:" + runId + ":" + run.get("executions"),
                  Map.of("run", data));
            });
  }

  /** An attempt of a step ended (its recorded status: succeeded, failed, cancelled...). */
  public void stepEnded(String runId, String stepId, int attempt) {
    events
        .run(runId)
        .ifPresent(
            run ->
                events
                    .attempt(runId, stepId, attempt)
                    .ifPresent(
                        step ->
                            events.append(
                                EventType.STEP_ENDED,
                                (String) run.get("team"),
                                "step.ended:" + runId + "/" + stepId + "/" + attempt,
                                Map.of("run", run, "step", step))));
  }

  /** An alias now points at {@code artifactId}; the event belongs to that artifact's team. */
  public void aliasMoved(String name, String artifactId, String previous, String movedBy) {
    Map<String, Object> alias = new LinkedHashMap<>();
    alias.put("name", name);
    alias.put("artifact", artifactId);
    alias.put("previous", previous);
    alias.put("movedBy", movedBy);
    events.append(
        EventType.ALIAS_MOVED,
        events.artifactTeam(artifactId).orElse("default"),
        null, // every move is a new event
        Map.of("alias", alias));
  }

  /** A new version of a dataset was registered (not a repeated registration of the same one). */
  public void datasetVersionRegistered(DatasetVersionEntity v) {
    Map<String, Object> dataset = new LinkedHashMap<>();
    dataset.put("id", v.artifactId);
    dataset.put("name", v.name);
    dataset.put("version", v.version);
    dataset.put("ref", v.ref());
    dataset.put("format", v.format);
    dataset.put("records", v.records);
    dataset.put("team", v.team);
    dataset.put("registeredBy", v.createdBy);
    events.append(
        EventType.DATASET_VERSION_REGISTERED,
        v.team,
        "dataset.version.registered:" + v.artifactId,
        Map.of("dataset", dataset));
  }
}
