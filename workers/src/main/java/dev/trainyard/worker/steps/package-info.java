/**
 * The step contract (work dir, inputs, environment, metrics, logs) and the step activities built on
 * it. {@code StepActivitiesImpl} runs an attempt; every wait in it heartbeats through the one
 * {@code HeartbeatLoop}; {@code OutputStorer} seals what the attempt wrote and {@code StepFailures}
 * maps what went wrong to a failure type.
 */
package dev.trainyard.worker.steps;
