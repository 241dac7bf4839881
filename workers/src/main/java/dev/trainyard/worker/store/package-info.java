/**
 * Immutable, content-addressed storage of the artifacts steps read and write: a local directory or
 * an S3 bucket ({@link dev.trainyard.worker.store.S3ArtifactStore}, read through the worker's
 * bounded, verified {@link dev.trainyard.worker.store.InputCache}), chosen by {@link
 * dev.trainyard.worker.store.StoreChoice}; one contract test for both (docs/storage.md).
 */
package dev.trainyard.worker.store;
