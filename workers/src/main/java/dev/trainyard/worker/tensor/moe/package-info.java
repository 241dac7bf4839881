/**
 * Mixture-of-experts surgery on Mixtral checkpoints guided by a routing profile: task-specific
 * expert pruning ({@link dev.trainyard.worker.tensor.moe.ExpertPruner}, {@code prune} method {@code
 * experts}) and merging experts into their dominant ones ({@link
 * dev.trainyard.worker.tensor.moe.ExpertMerger}, {@code merge} method {@code moe-experts}).
 */
package dev.trainyard.worker.tensor.moe;
