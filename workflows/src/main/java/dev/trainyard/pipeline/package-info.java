/**
 * The pipeline language (spec v1): {@link dev.trainyard.pipeline.Pipelines} parses, validates and
 * compiles a YAML/JSON spec into an execution plan. Subpackages: {@code spec} (the model), {@code
 * kind} (step kinds describing themselves), {@code validate} (problems with paths), {@code plan}
 * (the plan the workflow runs).
 */
package dev.trainyard.pipeline;
