/**
 * Steps that execute in the backend because they act on the catalog (e.g. {@code promote} moves an
 * alias): one {@link dev.trainyard.backend.steps.BackendStepRunner} per kind whose execution is
 * {@code BACKEND}, dispatched by {@link dev.trainyard.backend.steps.BackendSteps}.
 */
package dev.trainyard.backend.steps;
