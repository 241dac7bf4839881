/**
 * Runs, by job: {@code RunService} launches them (parameters resolved by {@code LaunchParams} and
 * {@code ArtifactResolver}, Idempotency-Key honoured), {@code RunControl} cancels, approves and
 * retries them, {@code RunReader} and {@code StepFilesReader} read them as the caller may see them,
 * {@code RunWorkflows} starts their workflows, and {@code RunRepository} holds the run aggregate's
 * SQL. Resources call these services, never Temporal or the database.
 */
package dev.trainyard.backend.runs;
