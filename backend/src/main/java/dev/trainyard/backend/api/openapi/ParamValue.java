package dev.trainyard.backend.api.openapi;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The schema of a pipeline parameter's value, for the {@code Object}s that carry one. */
@Schema(
    name = "ParamValue",
    oneOf = {String.class, Double.class, Boolean.class},
    description =
        "A parameter's value: text, a number or a boolean; checkpoints and datasets by alias, name or id.")
public interface ParamValue {}
