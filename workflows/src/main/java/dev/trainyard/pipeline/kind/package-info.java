/**
 * Step kinds describing themselves: each kind's fields, config keys with their types and bounds, and
 * outputs. The validator, the planner, the launch form and the docs all read this one catalogue
 * ({@link dev.trainyard.pipeline.kind.StepKinds}).
 */
package dev.trainyard.pipeline.kind;
