/**
 * Pruning: unstructured magnitude (per tensor or one global threshold), N:M semi-structured
 * sparsity, and structured width pruning of Llama MLP channels and attention KV groups ({@link
 * dev.trainyard.worker.tensor.prune.WidthPruner}), which rewrites {@code config.json} into a
 * smaller model.
 */
package dev.trainyard.worker.tensor.prune;
