/**
 * Checkpoint retention per template: {@code RetentionService} reads the rows and the policy, {@code
 * RetentionRules} decides from them alone, {@code RetentionExecutor} tombstones, audits and deletes
 * through the artifact store, and {@code RetentionRepository} holds the SQL. What an unfinished run
 * will read comes from {@code run_input}, recorded at launch.
 */
package dev.trainyard.backend.retention;
