/**
 * Reading and writing the safetensors format and Hugging Face checkpoint directories (sharded with
 * {@code model.safetensors.index.json} or not). Reads are memory-mapped; writes hash while writing
 * and appear in the output only once complete.
 */
package dev.trainyard.worker.tensor.safetensors;
