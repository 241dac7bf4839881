package dev.trainyard.workflow;

import java.util.List;
import java.util.Map;

/**
 * What a successful attempt produced.
 *
 * @param outputs artifacts by output name (e.g. {@code output}, {@code model}, {@code report})
 * @param metrics the last value of each metric the step wrote to {@code metrics.jsonl}
 * @param worker identity of the worker that ran it (host/pid)
 * @param gpuIds GPUs it ran on (empty on CPU)
 * @param logTail the end of its combined stdout/stderr
 */
public record StepResult(
    Map<String, ProducedArtifact> outputs,
    Map<String, Double> metrics,
    String worker,
    List<Integer> gpuIds,
    String logTail) {}
