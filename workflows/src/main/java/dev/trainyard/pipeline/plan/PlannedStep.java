package dev.trainyard.pipeline.plan;

import java.util.List;
import java.util.Map;

/**
 * One executable step of a plan.
 *
 * @param id unique within the plan; a matrix step expands to {@code <id>-<index>} (index from 0)
 * @param kind the step kind, e.g. {@code command}, {@code sft}, {@code approval}
 * @param pool the worker pool whose task queue runs it ({@code resources.pool}, default {@code
 *     default})
 * @param gpus GPUs the step needs on one host ({@code resources.gpus}, default 0)
 * @param needs ids of the steps that must succeed first (explicit {@code needs:} plus references)
 * @param body the kind-specific fields of the step (e.g. {@code run}, {@code env}, {@code model},
 *     {@code config}) as a JSON-like tree, parameters substituted; every reference to an artifact
 *     is replaced by the token {@code ${{ inputs.NAME }}} naming one of {@link #inputs()}
 * @param inputs the artifacts the step reads
 * @param timeoutSeconds wall-clock limit of one attempt ({@code timeout:}, default 24 h)
 * @param retry how failed attempts are retried ({@code retry:})
 */
public record PlannedStep(
    String id,
    String kind,
    String pool,
    int gpus,
    List<String> needs,
    Map<String, Object> body,
    List<InputBinding> inputs,
    long timeoutSeconds,
    RetrySpec retry) {
  public PlannedStep {
    needs = List.copyOf(needs);
    inputs = List.copyOf(inputs);
  }
}
