/**
 * Sparse upcycling (Komatsuzaki et al., 2022): a dense llama/mistral checkpoint becomes a Mixtral
 * mixture of experts whose experts start as copies of the dense MLP.
 */
package dev.trainyard.worker.tensor.upcycle;
