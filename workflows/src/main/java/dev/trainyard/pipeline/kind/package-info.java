/**
 * Step kinds describing themselves: each kind is one {@link dev.trainyard.pipeline.kind.StepKind}
 * value in {@link dev.trainyard.pipeline.kind.StepKinds} — its fields and config keys (types,
 * constraints, defaults, docs), the artifact types its inputs accept and its outputs produce,
 * cross-field checks, where it executes ({@link dev.trainyard.pipeline.kind.Execution}), whether it
 * is cacheable or runs user code, the failure types it raises, its default attempts, its runner's
 * settings and an example.
 *
 * <p>Everything else reads it: the validator, the planner (which writes the fully resolved body
 * into step.json, see {@code pipeline.plan.Defaults}), the workflow (approval, backend or worker
 * activity), the step cache key, template approval, retention, the evals query, the worker's runner
 * registry, the trainer (through step.json) and the docs. No code branches on a kind's name: a new
 * kind is its definition, its runner (worker or backend, by execution category) and its tests.
 */
package dev.trainyard.pipeline.kind;
