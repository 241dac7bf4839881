/**
 * Prometheus series of runs and steps on {@code /q/metrics}: runs by status from the catalog,
 * counters and histograms of finished step attempts by kind and pool, the wait until the backend
 * grants an attempt, and the ledger's write latency. Recording never fails or slows a run: every
 * error is logged and dropped. See docs/observability.md.
 */
package dev.trainyard.backend.observability;
