/**
 * The pipeline spec model (v1): pipelines, parameters, steps as written, and the {@code ${{ }}}
 * expression language. Values here are structurally valid; parsing and checking live in {@code
 * validate}, turning a spec into an execution plan in {@code plan}.
 */
package dev.trainyard.pipeline.spec;
