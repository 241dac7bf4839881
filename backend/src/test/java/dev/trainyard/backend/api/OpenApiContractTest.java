package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document is the API's contract: every operation is described, every response has a
 * real schema, and the committed snapshot the dashboard's types are generated from is this
 * document.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class OpenApiContractTest {
  /** Relative to the backend module, where the tests run. */
  static final Path SNAPSHOT = Path.of("../docs/openapi.json");

  static final String UPDATE = "openapi.update";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Test
  void theCommittedSnapshotIsTheDocumentTheBackendServes() throws Exception {
    JsonNode served = document();
    String text = JSON.writeValueAsString(served) + "\n";
    if (Boolean.getBoolean(UPDATE)) {
      Files.writeString(SNAPSHOT, text);
    }
    assertThat(Files.exists(SNAPSHOT)).as("docs/openapi.json exists").isTrue();
    assertThat(JSON.readTree(Files.readString(SNAPSHOT)))
        .as(
            "docs/openapi.json differs from the backend's /q/openapi; regenerate it with "
                + "./mvnw -B -pl backend -am verify -Dskip.npm -Dtest=OpenApiContractTest"
                + " -Dsurefire.failIfNoSpecifiedTests=false -D"
                + UPDATE
                + "=true")
        .isEqualTo(served);
  }

  @Test
  void everyOperationIsDescribedAndEveryResponseHasATypedSchema() throws Exception {
    JsonNode doc = document();
    List<String> problems = new ArrayList<>();
    doc.path("paths")
        .properties()
        .forEach(
            path ->
                path.getValue()
                    .properties()
                    .forEach(
                        op -> {
                          String where = op.getKey().toUpperCase() + " " + path.getKey();
                          if (op.getValue().path("description").asText().isBlank()) {
                            problems.add(where + ": no description");
                          }
                          op.getValue()
                              .path("responses")
                              .properties()
                              .forEach(
                                  r -> {
                                    JsonNode response = resolve(doc, r.getValue());
                                    String at = where + " " + r.getKey();
                                    if (response.path("description").asText().isBlank()) {
                                      problems.add(at + ": no description");
                                    }
                                    boolean hasBody =
                                        !r.getKey().equals("204") && !r.getKey().startsWith("3");
                                    if (hasBody && response.path("content").isEmpty()) {
                                      problems.add(at + ": no content");
                                    }
                                    response
                                        .path("content")
                                        .properties()
                                        .forEach(
                                            media ->
                                                untyped(
                                                    doc,
                                                    media.getValue().path("schema"),
                                                    at + " " + media.getKey(),
                                                    new HashSet<>(),
                                                    problems));
                                  });
                          if (op.getValue().path("responses").path("default").isMissingNode()) {
                            problems.add(where + ": no default (problem) response");
                          }
                        }));
    assertThat(problems).isEmpty();
  }

  /** The parameter types the document promises are exactly those the pipeline language has. */
  @Test
  void theDocumentedParameterTypesAreThoseOfThePipelineLanguage() throws Exception {
    JsonNode types =
        document()
            .path("components")
            .path("schemas")
            .path("ParamInfo")
            .path("properties")
            .path("type")
            .path("enum");
    List<String> documented = new ArrayList<>();
    types.forEach(t -> documented.add(t.asText()));
    assertThat(documented)
        .containsExactlyInAnyOrderElementsOf(dev.trainyard.pipeline.spec.ParamType.yamlNames());
  }

  /**
   * What the API really writes, from a finished run and the catalog it filled, validates against
   * the document: a field the document calls required is there, one it calls non-null is not null.
   */
  @Test
  void theJsonTheApiWritesValidatesAgainstTheCommittedDocument() throws Exception {
    Api.signIn();
    JsonNode doc = document(); // the committed snapshot, as the first test asserts
    String runId = Api.launch("hello", Map.of("greeting", "contract")).getString("id");
    Api.awaitStatus(
        runId, Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED"), Duration.ofSeconds(60));
    String artifact =
        Api.run(runId).getString("steps.find { it.id == 'join' }.outputs.output.artifactId");
    given()
        .contentType("application/json")
        .body(Map.of("artifact", artifact))
        .put("/api/v1/aliases/contract")
        .then()
        .statusCode(200);
    given()
        .contentType("application/json")
        .body(Map.of("keepLastIntermediate", 1))
        .put("/api/v1/templates/hello/retention")
        .then()
        .statusCode(200);

    List<String> problems = new ArrayList<>();
    record Call(String template, String path, int status) {}
    for (Call call :
        List.of(
            new Call("/api/v1/runs/{id}", "/api/v1/runs/" + runId, 200),
            new Call("/api/v1/runs", "/api/v1/runs?limit=5", 200),
            new Call(
                "/api/v1/runs/{id}/steps/{step}/metrics",
                "/api/v1/runs/" + runId + "/steps/join/metrics",
                200),
            new Call("/api/v1/templates", "/api/v1/templates", 200),
            new Call("/api/v1/templates/{name}", "/api/v1/templates/hello", 200),
            new Call("/api/v1/artifacts", "/api/v1/artifacts", 200),
            new Call("/api/v1/artifacts/{ref}", "/api/v1/artifacts/" + artifact, 200),
            new Call(
                "/api/v1/artifacts/{ref}/lineage",
                "/api/v1/artifacts/" + artifact + "/lineage",
                200),
            new Call(
                "/api/v1/artifacts/{ref}/evals", "/api/v1/artifacts/" + artifact + "/evals", 200),
            new Call("/api/v1/aliases", "/api/v1/aliases", 200),
            new Call("/api/v1/aliases/{name}/history", "/api/v1/aliases/contract/history", 200),
            new Call("/api/v1/workers", "/api/v1/workers", 200),
            new Call("/api/v1/audit", "/api/v1/audit?limit=5", 200),
            new Call("/api/v1/audit/verify", "/api/v1/audit/verify", 200),
            new Call(
                "/api/v1/templates/{name}/retention", "/api/v1/templates/hello/retention", 200),
            new Call(
                "/api/v1/templates/{name}/retention/plan",
                "/api/v1/templates/hello/retention/plan",
                200),
            new Call("/auth/config", "/auth/config", 200),
            new Call("/api/v1/runs/{id}", "/api/v1/runs/run-none", 404))) {
      io.restassured.response.Response response =
          given().accept("application/json").get(call.path());
      if (response.statusCode() != call.status()) {
        problems.add(call.path() + ": status " + response.statusCode() + " " + response.asString());
        continue;
      }
      JsonNode operation = doc.path("paths").path(call.template()).path("get");
      JsonNode declared = operation.path("responses").path(String.valueOf(call.status()));
      if (declared.isMissingNode()) {
        declared = operation.path("responses").path("default");
      }
      JsonNode media = resolve(doc, declared).path("content");
      JsonNode schema = media.path(media.fieldNames().next()).path("schema");
      problems.addAll(
          violations(doc, schema, JSON.readTree(response.asString())).stream()
              .map(v -> call.path() + ": " + v)
              .toList());
    }
    assertThat(problems).isEmpty();
  }

  /**
   * Validates a value against a schema of the document, its references resolved within the
   * document.
   */
  private static List<String> violations(JsonNode doc, JsonNode schema, JsonNode value) {
    com.fasterxml.jackson.databind.node.ObjectNode root =
        ((com.fasterxml.jackson.databind.node.ObjectNode) doc).deepCopy();
    root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
    root.setAll((com.fasterxml.jackson.databind.node.ObjectNode) schema);
    return com.networknt.schema.JsonSchemaFactory.getInstance(
            com.networknt.schema.SpecVersion.VersionFlag.V202012)
        .getSchema(java.net.URI.create("urn:trainyard:openapi"), root)
        .validate(value)
        .stream()
        .map(Object::toString)
        .toList();
  }

  /**
   * A schema that says nothing ({@code {}}, an object without properties) anywhere below a
   * response.
   */
  /**
   * Values that are JSON Schema documents (the step-kind catalogue): any JSON object by nature, so
   * typed as a free-form object; TemplateEditorApiTest validates them against the draft 2020-12
   * meta-schema.
   */
  private static final Set<String> JSON_SCHEMA_VALUES =
      Set.of("#/components/schemas/KindInfo.schema", "#/components/schemas/Catalogue.pipeline");

  private static void untyped(
      JsonNode doc, JsonNode schema, String at, Set<String> seen, List<String> problems) {
    if (JSON_SCHEMA_VALUES.contains(at)) {
      if (!schema.path("type").asText().equals("object")) {
        problems.add(at + ": a JSON Schema document is an object " + schema);
      }
      return;
    }
    if (schema.has("$ref")) {
      String ref = schema.get("$ref").asText();
      if (seen.add(ref)) {
        untyped(doc, resolve(doc, schema), ref, seen, problems);
      }
      return;
    }
    boolean typed =
        schema.has("type")
            || schema.has("oneOf")
            || schema.has("anyOf")
            || schema.has("allOf")
            || schema.has("enum")
            || schema.has("const");
    if (!typed) {
      problems.add(at + ": untyped schema " + schema);
      return;
    }
    if (schema.path("type").asText().equals("object")
        && schema.path("properties").isEmpty()
        && !schema.path("additionalProperties").isObject()) {
      problems.add(at + ": an object without properties " + schema);
    }
    schema
        .path("properties")
        .properties()
        .forEach(p -> untyped(doc, p.getValue(), at + "." + p.getKey(), seen, problems));
    for (String nested : List.of("items", "additionalProperties")) {
      if (schema.path(nested).isObject()) {
        untyped(doc, schema.get(nested), at + "." + nested, seen, problems);
      }
    }
    for (String alternatives : List.of("oneOf", "anyOf", "allOf")) {
      schema
          .path(alternatives)
          .forEach(s -> untyped(doc, s, at + "." + alternatives, seen, problems));
    }
  }

  private static JsonNode resolve(JsonNode doc, JsonNode node) {
    if (!node.has("$ref")) {
      return node;
    }
    JsonNode target = doc;
    for (String part : node.get("$ref").asText().substring(2).split("/")) {
      target = target.path(part);
    }
    return target;
  }

  static JsonNode document() throws Exception {
    // /q/* needs a signed-in caller (issue 11, Low findings).
    String text =
        given()
            .header("Authorization", "Bearer " + Api.LOCAL_TOKEN)
            .accept("application/json")
            .get("/q/openapi?format=json")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    return JSON.readTree(text);
  }
}
