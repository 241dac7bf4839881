/**
 * Runs, by job: {@code RunService} launches them (parameters resolved by {@code LaunchParams} and
 * {@code ArtifactResolver}, Idempotency-Key honoured), {@code RunControl} cancels, approves and
 * retries them, {@code RunReader} and {@code StepFilesReader} read them as the caller may see them,
 * and {@code RunWorkflows} starts their workflows. Resources call these services, never Temporal.
 */
package dev.trainyard.backend.runs;
