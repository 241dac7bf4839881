package dev.trainyard.pipeline.spec;

/**
 * A declared pipeline parameter.
 *
 * @param required whether a value must be supplied at launch; only meaningful without a default
 * @param defaultValue used when no value is supplied; null when there is none
 */
public record ParamSpec(
    String name, ParamType type, boolean required, Object defaultValue, String description) {}
