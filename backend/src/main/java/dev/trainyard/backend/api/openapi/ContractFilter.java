package dev.trainyard.backend.api.openapi;

import io.quarkus.smallrye.openapi.OpenApiFilter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.media.MediaType;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;

/**
 * Says in the document what SmallRye cannot read from the code:
 *
 * <ul>
 *   <li>every property of a response record is present (Jackson writes each record component, null
 *       included), so generated clients see {@code name: string | null}, not an optional field;
 *       request bodies are left alone, their fields stay optional;
 *   <li>every operation may answer a problem ({@code default} response), and an error response
 *       SmallRye listed without a body has the problem body;
 *   <li>a field whose {@code @Schema} names another type ({@code implementation = RunStatus.class})
 *       or alternatives ({@code oneOf}) is that type: SmallRye's extra {@code type: object} beside
 *       it is dropped, as it would contradict the reference.
 * </ul>
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class ContractFilter implements OASFilter {
  /** The name of the problem response that {@code package-info.java} declares. */
  static final String PROBLEM = "Problem";

  private static final String PROBLEM_REF = "#/components/responses/" + PROBLEM;
  private static final String SCHEMA_PREFIX = "#/components/schemas/";

  @Override
  public void filterOpenAPI(OpenAPI openAPI) {
    // SmallRye also filters partial models (e.g. before the annotations are read): nothing to do
    // there.
    if (openAPI.getPaths() == null
        || openAPI.getPaths().getPathItems() == null
        || openAPI.getComponents() == null
        || openAPI.getComponents().getResponses() == null
        || !openAPI.getComponents().getResponses().containsKey(PROBLEM)) {
      return;
    }
    Deque<Schema> toVisit = new ArrayDeque<>();
    for (var path : openAPI.getPaths().getPathItems().values()) {
      for (Operation operation : path.getOperations().values()) {
        Map<String, APIResponse> responses = operation.getResponses().getAPIResponses();
        for (Map.Entry<String, APIResponse> entry : new ArrayList<>(responses.entrySet())) {
          APIResponse response = entry.getValue();
          boolean error = entry.getKey().startsWith("4") || entry.getKey().startsWith("5");
          if (error
              && response.getRef() == null
              && (response.getContent() == null
                  || response.getContent().getMediaTypes().isEmpty())) {
            operation
                .getResponses()
                .addAPIResponse(
                    entry.getKey(),
                    OASFactory.createAPIResponse()
                        .description(response.getDescription())
                        .content(problemContent(openAPI)));
          }
          if (response.getContent() != null) {
            response.getContent().getMediaTypes().values().stream()
                .map(MediaType::getSchema)
                .filter(s -> s != null)
                .forEach(toVisit::add);
          }
        }
        if (operation.getResponses().getDefaultValue() == null) {
          operation.getResponses().setDefaultValue(OASFactory.createAPIResponse().ref(PROBLEM_REF));
        }
      }
    }
    toVisit.addAll(
        problemContent(openAPI).getMediaTypes().values().stream()
            .map(MediaType::getSchema)
            .toList());
    markPresent(openAPI, toVisit);
    openAPI.getComponents().getSchemas().values().forEach(ContractFilter::dropContradictingType);
  }

  private static void dropContradictingType(Schema schema) {
    List<Schema.SchemaType> type = schema.getType();
    boolean bareObject =
        type != null
            && type.contains(Schema.SchemaType.OBJECT)
            && (schema.getProperties() == null || schema.getProperties().isEmpty())
            && schema.getAdditionalPropertiesSchema() == null;
    if (bareObject && schema.getOneOf() != null && type.contains(Schema.SchemaType.NULL)) {
      // A nullable field of such a type: null becomes one more alternative.
      schema.addOneOf(OASFactory.createSchema().addType(Schema.SchemaType.NULL));
    }
    if (schema.getRef() != null || (bareObject && schema.getOneOf() != null)) {
      schema.setType(null);
    }
    if (schema.getProperties() != null) {
      schema.getProperties().values().forEach(ContractFilter::dropContradictingType);
    }
  }

  /**
   * Walks from the response bodies through references, items and maps; each object's properties are
   * all present.
   */
  private static void markPresent(OpenAPI openAPI, Deque<Schema> toVisit) {
    Map<String, Schema> components = openAPI.getComponents().getSchemas();
    Set<Schema> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    Set<String> names = new HashSet<>();
    while (!toVisit.isEmpty()) {
      Schema schema = toVisit.pop();
      if (!seen.add(schema)) {
        continue;
      }
      if (schema.getRef() != null && schema.getRef().startsWith(SCHEMA_PREFIX)) {
        String name = schema.getRef().substring(SCHEMA_PREFIX.length());
        if (names.add(name) && components != null && components.get(name) != null) {
          toVisit.push(components.get(name));
        }
      }
      if (schema.getProperties() != null && !schema.getProperties().isEmpty()) {
        schema.setRequired(List.copyOf(schema.getProperties().keySet()));
        schema.getProperties().values().forEach(toVisit::push);
      }
      if (schema.getItems() != null) {
        toVisit.push(schema.getItems());
      }
      if (schema.getAdditionalPropertiesSchema() != null) {
        toVisit.push(schema.getAdditionalPropertiesSchema());
      }
      for (List<Schema> alternatives :
          java.util.Arrays.asList(schema.getAnyOf(), schema.getOneOf(), schema.getAllOf())) {
        if (alternatives != null) {
          alternatives.forEach(toVisit::push);
        }
      }
    }
  }

  private static org.eclipse.microprofile.openapi.models.media.Content problemContent(
      OpenAPI openAPI) {
    return openAPI.getComponents().getResponses().get(PROBLEM).getContent();
  }
}
