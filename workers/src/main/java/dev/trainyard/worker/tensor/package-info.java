/**
 * The tensor engine: merges and prunes checkpoints natively in the worker, streaming tensor by
 * tensor from memory-mapped safetensors files. {@link dev.trainyard.worker.tensor.TensorSteps} is
 * the entry point for the {@code merge} and {@code prune} step kinds, {@link
 * dev.trainyard.worker.tensor.TensorCli} the same outside the platform.
 */
package dev.trainyard.worker.tensor;
