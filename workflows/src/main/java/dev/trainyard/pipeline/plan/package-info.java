/**
 * The execution plan the workflow runs ({@link dev.trainyard.pipeline.plan.ExecutionPlan} and its
 * parts, a fixed contract with the workflow) and the {@link dev.trainyard.pipeline.plan.Planner}
 * that builds it: topological order, matrix expansion, parameter substitution and input bindings.
 */
package dev.trainyard.pipeline.plan;
