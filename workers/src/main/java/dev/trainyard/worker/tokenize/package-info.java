/**
 * The {@code tokenize} step kind's engine: a dataset plus a tokenizer ({@code tokenizer.json}, run
 * by the Hugging Face tokenizers library through DJL's JNI binding) into packed token shards, laid
 * out as {@code docs/tokens-format.md} says. Chat records arrive already rendered by the
 * tokenizer's own chat template ({@code trainyard_trainer.chat_render}), with the character spans
 * of their assistant turns.
 */
package dev.trainyard.worker.tokenize;
