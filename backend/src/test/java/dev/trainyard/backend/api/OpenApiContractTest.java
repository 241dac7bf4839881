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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document is the API's contract: every operation is described, every response has a
 * real schema, and the committed snapshot the dashboard's types are generated from is this document.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class OpenApiContractTest {
  /** Relative to the backend module, where the tests run. */
  static final Path SNAPSHOT = Path.of("../docs/openapi.json");
  static final String UPDATE = "openapi.update";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Test
  void theCommittedSnapshotIsTheDocumentTheBackendServes() throws Exception {
    JsonNode served = document();
    String text = JSON.writeValueAsString(served) + "\n";
    if (Boolean.getBoolean(UPDATE)) {
      Files.writeString(SNAPSHOT, text);
    }
    assertThat(Files.exists(SNAPSHOT)).as("docs/openapi.json exists").isTrue();
    assertThat(JSON.readTree(Files.readString(SNAPSHOT)))
        .as("docs/openapi.json differs from the backend's /q/openapi; regenerate it with "
            + "./mvnw -B -pl backend -am verify -Dskip.npm -Dtest=OpenApiContractTest -D" + UPDATE + "=true")
        .isEqualTo(served);
  }

  @Test
  void everyOperationIsDescribedAndEveryResponseHasATypedSchema() throws Exception {
    JsonNode doc = document();
    List<String> problems = new ArrayList<>();
    doc.path("paths").properties().forEach(path -> path.getValue().properties().forEach(op -> {
      String where = op.getKey().toUpperCase() + " " + path.getKey();
      if (op.getValue().path("description").asText().isBlank()) {
        problems.add(where + ": no description");
      }
      op.getValue().path("responses").properties().forEach(r -> {
        JsonNode response = resolve(doc, r.getValue());
        String at = where + " " + r.getKey();
        if (response.path("description").asText().isBlank()) {
          problems.add(at + ": no description");
        }
        boolean hasBody = !r.getKey().equals("204") && !r.getKey().startsWith("3");
        if (hasBody && response.path("content").isEmpty()) {
          problems.add(at + ": no content");
        }
        response.path("content").properties().forEach(media ->
            untyped(doc, media.getValue().path("schema"), at + " " + media.getKey(), new HashSet<>(), problems));
      });
      if (op.getValue().path("responses").path("default").isMissingNode()) {
        problems.add(where + ": no default (problem) response");
      }
    }));
    assertThat(problems).isEmpty();
  }

  /** A schema that says nothing ({@code {}}, an object without properties) anywhere below a response. */
  private static void untyped(JsonNode doc, JsonNode schema, String at, Set<String> seen, List<String> problems) {
    if (schema.has("$ref")) {
      String ref = schema.get("$ref").asText();
      if (seen.add(ref)) {
        untyped(doc, resolve(doc, schema), ref, seen, problems);
      }
      return;
    }
    boolean typed = schema.has("type") || schema.has("oneOf") || schema.has("anyOf") || schema.has("allOf")
        || schema.has("enum") || schema.has("const");
    if (!typed) {
      problems.add(at + ": untyped schema " + schema);
      return;
    }
    if (schema.path("type").asText().equals("object") && schema.path("properties").isEmpty()
        && !schema.path("additionalProperties").isObject()) {
      problems.add(at + ": an object without properties " + schema);
    }
    schema.path("properties").properties().forEach(p -> untyped(doc, p.getValue(), at + "." + p.getKey(), seen, problems));
    for (String nested : List.of("items", "additionalProperties")) {
      if (schema.path(nested).isObject()) {
        untyped(doc, schema.get(nested), at + "." + nested, seen, problems);
      }
    }
    for (String alternatives : List.of("oneOf", "anyOf", "allOf")) {
      schema.path(alternatives).forEach(s -> untyped(doc, s, at + "." + alternatives, seen, problems));
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
    String text = given().accept("application/json").get("/q/openapi?format=json").then().statusCode(200)
        .extract().asString();
    return JSON.readTree(text);
  }

}
