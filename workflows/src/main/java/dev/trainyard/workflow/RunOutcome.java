package dev.trainyard.workflow;

import java.util.Map;

/** Result of {@link PipelineWorkflow#run}: final status, error if any, and each step's outputs. */
public record RunOutcome(
    RunStatus status, String error, Map<String, Map<String, ArtifactRef>> outputs) {}
