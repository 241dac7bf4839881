/**
 * Checkpoints brought in from outside: importing an existing Hugging Face folder (a path under the
 * data roots, or an uploaded tar) as a checkpoint artifact, after checking its layout and reading
 * what it is — family, parameter count, dtype, tokenizer kind, chat template — from its files.
 */
package dev.trainyard.backend.checkpoints;
