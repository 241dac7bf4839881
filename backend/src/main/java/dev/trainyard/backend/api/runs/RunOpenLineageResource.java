package dev.trainyard.backend.api.runs;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.openlineage.OpenLineageEvents;
import dev.trainyard.backend.runs.RunReader;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.net.URI;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A run's OpenLineage RunEvents (docs/openlineage.md), as every transport was given them. */
@Path("/api/v1/runs")
@Produces(MediaType.APPLICATION_JSON)
public class RunOpenLineageResource {
  @Inject RunReader runs;
  @Inject OpenLineageEvents events;
  @Inject ObjectMapper json;

  public record OpenLineageEventList(
      @Schema(
              description =
                  "RunEvents of the OpenLineage spec (https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent), in the order they were emitted",
              type = SchemaType.ARRAY,
              implementation = RunEventShape.class)
          List<JsonNode> items) {}

  // The shape of a RunEvent, for the OpenAPI document only: the items are the stored JSON itself.

  /** Every facet has these two; the rest is the facet's own (see its _schemaURL). */
  public record FacetShape(
      @JsonProperty("_producer") URI producer, @JsonProperty("_schemaURL") URI schemaURL) {}

  public record RunShape(UUID runId, Map<String, FacetShape> facets) {}

  public record JobShape(String namespace, String name, Map<String, FacetShape> facets) {}

  public record DatasetShape(
      String namespace,
      @Schema(description = "<artifact type>/<artifact id>") String name,
      Map<String, FacetShape> facets,
      Map<String, FacetShape> inputFacets,
      Map<String, FacetShape> outputFacets) {}

  public record RunEventShape(
      @Schema(enumeration = {"START", "RUNNING", "COMPLETE", "FAIL", "ABORT"}) String eventType,
      OffsetDateTime eventTime,
      URI producer,
      URI schemaURL,
      RunShape run,
      JobShape job,
      List<DatasetShape> inputs,
      List<DatasetShape> outputs) {}

  @Operation(
      summary = "A run's OpenLineage events",
      description =
          "Every RunEvent emitted for the run's step attempts (START, RUNNING, COMPLETE, FAIL, ABORT), in order, whatever the configured transport.")
  @GET
  @Path("/{id}/openlineage")
  public OpenLineageEventList list(@PathParam("id") String id) throws JsonProcessingException {
    String runId = runs.get(id).id; // 404, also for another team's run
    List<JsonNode> items = new ArrayList<>();
    for (String event : events.ofRun(runId)) {
      items.add(json.readTree(event));
    }
    return new OpenLineageEventList(items);
  }
}
