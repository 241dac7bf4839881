/**
 * The step contract (work dir, inputs, environment, metrics, logs) and the step activities built on
 * it.
 */
package dev.trainyard.worker.steps;
