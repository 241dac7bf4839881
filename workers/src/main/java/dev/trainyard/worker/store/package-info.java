/**
 * Immutable, content-addressed storage of the artifacts steps read and write (local directory,
 * later S3).
 */
package dev.trainyard.worker.store;
