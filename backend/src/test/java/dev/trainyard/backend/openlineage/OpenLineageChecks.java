package dev.trainyard.backend.openlineage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.openlineage.client.OpenLineage.RunEvent;
import io.openlineage.client.OpenLineageClientUtils;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Reads events back through the official client's model and checks what the OpenLineage spec
 * requires of a RunEvent and of every facet in it.
 */
public final class OpenLineageChecks {
  private static final ObjectMapper JSON = new ObjectMapper();

  private OpenLineageChecks() {}

  /** Parses {@code json} with the client and checks the spec's required fields; the event. */
  public static RunEvent parsedAndComplete(String json) {
    RunEvent event = OpenLineageClientUtils.runEventFromJson(json);
    assertThat(event.getEventType()).as("eventType of %s", json).isNotNull();
    assertThat(event.getEventTime()).as("eventTime").isNotNull();
    assertThat(event.getProducer()).as("producer").isNotNull();
    assertThat(event.getSchemaURL().toString())
        .as("schemaURL")
        .startsWith("https://openlineage.io/spec/");
    assertThat(event.getRun().getRunId()).as("run.runId").isNotNull();
    assertThat(event.getJob().getNamespace()).as("job.namespace").isNotBlank();
    assertThat(event.getJob().getName()).as("job.name").isNotBlank();
    JsonNode tree = tree(json);
    // The client would also accept a runId the spec does not (its model is typed): check the text.
    assertThat(UUID.fromString(tree.at("/run/runId").asText()).toString())
        .isEqualTo(tree.at("/run/runId").asText());
    assertThat(tree.at("/eventTime").asText()).as("eventTime is ISO-8601").contains("T");
    for (Map.Entry<String, JsonNode> facet : facets(tree)) {
      JsonNode value = facet.getValue();
      assertThat(value.path("_producer").isTextual()).as("%s._producer", facet.getKey()).isTrue();
      assertThat(value.path("_schemaURL").isTextual()).as("%s._schemaURL", facet.getKey()).isTrue();
      URI.create(value.get("_producer").asText());
      URI.create(value.get("_schemaURL").asText());
    }
    return event;
  }

  public static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + json, e);
    }
  }

  /** Every facet of the event, named by its path. */
  static List<Map.Entry<String, JsonNode>> facets(JsonNode event) {
    List<Map.Entry<String, JsonNode>> all = new ArrayList<>();
    collect(all, "run.facets", event.at("/run/facets"));
    collect(all, "job.facets", event.at("/job/facets"));
    for (String side : List.of("inputs", "outputs")) {
      JsonNode datasets = event.path(side);
      for (int i = 0; i < datasets.size(); i++) {
        for (String kind : List.of("facets", "inputFacets", "outputFacets")) {
          collect(all, side + "[" + i + "]." + kind, datasets.get(i).path(kind));
        }
      }
    }
    return all;
  }

  private static void collect(List<Map.Entry<String, JsonNode>> all, String path, JsonNode node) {
    node.properties().forEach(f -> all.add(Map.entry(path + "." + f.getKey(), f.getValue())));
  }
}
