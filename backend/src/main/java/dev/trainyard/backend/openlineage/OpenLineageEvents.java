package dev.trainyard.backend.openlineage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;

/** The events stored for a run, for callers that already checked they may read it. */
@ApplicationScoped
public class OpenLineageEvents {
  @Inject OpenLineageRepository repository;

  /** Each event's JSON text exactly as it was sent, in emission order. */
  public List<String> ofRun(String runId) {
    return repository.eventsOfRun(runId);
  }
}
