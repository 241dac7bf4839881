/**
 * The API's OpenAPI document ({@code /q/openapi}): what every operation and response says beyond
 * what SmallRye reads from the resources, so the committed snapshot ({@code docs/openapi.json}) and
 * the dashboard's generated types describe exactly the JSON the API writes. The problem response
 * declared here is the {@code default} response of every operation ({@link
 * dev.trainyard.backend.api.openapi.ContractFilter}).
 */
@OpenAPIDefinition(
    info =
        @Info(
            title = "Trainyard API",
            version = "1",
            description =
                "Launch and watch training pipelines; browse checkpoints, datasets and their lineage."),
    components =
        @Components(
            responses =
                @APIResponse(
                    name = "Problem",
                    description =
                        "The request was refused or failed; the body says why, with the path of every problem.",
                    content =
                        @Content(
                            mediaType = "application/problem+json",
                            schema = @Schema(implementation = ProblemDetails.class)))))
package dev.trainyard.backend.api.openapi;

import dev.trainyard.backend.api.ProblemDetails;
import org.eclipse.microprofile.openapi.annotations.Components;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
