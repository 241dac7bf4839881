/** Pruning: unstructured magnitude (per tensor or one global threshold) and N:M semi-structured sparsity. */
package dev.trainyard.worker.tensor.prune;
