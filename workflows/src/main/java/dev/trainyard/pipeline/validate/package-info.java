/**
 * Reading and checking specs: YAML/JSON to {@link dev.trainyard.pipeline.spec.PipelineSpec}, types
 * and bounds from the kind catalogue, references, cycles, and launch parameters. Every problem is
 * collected with its path ({@code steps[1].config.lr: must be > 0}) and thrown together in an
 * {@link dev.trainyard.pipeline.validate.InvalidSpecException}. {@code SpecReader} is the entry
 * point; parsing the text, building the records and the checks across steps are each their own
 * class.
 */
package dev.trainyard.pipeline.validate;
