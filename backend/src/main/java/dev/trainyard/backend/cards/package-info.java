/**
 * Model cards: a checkpoint's Hugging Face style {@code README.md} built server-side from the
 * catalog (datasets and their versions, the recipe, parent checkpoints, evaluations, who launched
 * it), stored as its own {@code model-card} artifact linked to the checkpoint in lineage. The
 * checkpoint itself is never touched: its bytes and id stay what they were.
 */
package dev.trainyard.backend.cards;
