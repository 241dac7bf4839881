package dev.trainyard.backend.api;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The body of every error the API answers ({@code application/problem+json}, RFC 9457): a title,
 * the HTTP status, a human-readable detail, and each problem with the path of the input it
 * concerns; for a body that is not valid JSON also the line and column where it broke.
 */
public record ProblemDetails(
    String type,
    String title,
    int status,
    @Schema(nullable = true) String detail,
    List<ApiProblem.FieldError> errors,
    @Schema(
            nullable = true,
            description = "Where a body that is not valid JSON broke: its line (from 1)")
        Integer line,
    @Schema(nullable = true, description = "and column (from 1); null for every other problem")
        Integer column) {}
