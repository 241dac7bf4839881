package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.templates.BundledTemplates;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the template editor relies on: the published step-kind schemas and validation without
 * saving.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class TemplateEditorApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final JsonSchemaFactory SCHEMAS =
      JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  @Test
  void theServedCatalogueIsJsonSchema202012AndEachKindsExampleMatchesItsSchema() throws Exception {
    JsonNode catalogue =
        JSON.readTree(
            given().get("/api/v1/step-kinds").then().statusCode(200).extract().asString());
    JsonSchema meta = SCHEMAS.getSchema(SchemaLocation.of(catalogue.get("dialect").asText()));
    assertThat(catalogue.get("dialect").asText())
        .isEqualTo("https://json-schema.org/draft/2020-12/schema");

    assertThat(catalogue.get("kinds"))
        .extracting(k -> k.get("name").asText())
        .containsExactly(
            "command",
            "pretrain",
            "continual-pretrain",
            "sft",
            "dpo",
            "merge",
            "prune",
            "upcycle",
            "tokenize",
            "evaluate",
            "route-stats",
            "approval",
            "promote",
            "select-best");
    for (JsonNode kind : catalogue.get("kinds")) {
      String name = kind.get("name").asText();
      JsonNode schema = kind.get("schema");
      assertThat(meta.validate(schema))
          .as(name + "'s schema against the 2020-12 meta-schema")
          .isEmpty();
      JsonNode example = YAML.readTree(kind.get("example").asText()).get(0);
      assertThat(SCHEMAS.getSchema(schema).validate(example)).as(name + "'s example").isEmpty();
      assertThat(schema.get("additionalProperties").asBoolean(true)).as(name).isFalse();
      assertThat(schema.at("/properties/kind/const").asText()).isEqualTo(name);
    }
    assertThat(meta.validate(catalogue.get("pipeline"))).isEmpty();
    JsonNode lr = catalogue.at("/kinds/3/schema/properties/config/properties/lr/anyOf/0");
    assertThat(lr.get("type").asText()).isEqualTo("number");
    assertThat(lr.get("exclusiveMinimum").asInt()).isZero();

    // With adapter: an sft step produces an adapter artifact instead of a checkpoint.
    JsonPath sft =
        given().get("/api/v1/step-kinds/sft").then().statusCode(200).extract().jsonPath();
    assertThat(sft.getList("outputs.name")).containsExactly("model", "adapter");
    assertThat(sft.getList("outputs.type")).containsExactly("checkpoint", "adapter");
    assertThat(sft.getList("outputs.when")).containsExactly("without `adapter`", "with `adapter`");
    given().get("/api/v1/step-kinds/no-such-kind").then().statusCode(404);
  }

  @Test
  void theBundledTemplatesMatchThePublishedPipelineSchema() throws Exception {
    JsonNode catalogue =
        JSON.readTree(
            given().get("/api/v1/step-kinds").then().statusCode(200).extract().asString());
    JsonSchema pipeline = SCHEMAS.getSchema(catalogue.get("pipeline"));
    for (String template : BundledTemplates.names()) {
      try (InputStream in = getClass().getResourceAsStream("/templates/" + template + ".yaml")) {
        assertThat(pipeline.validate(YAML.readTree(in))).as(template).isEmpty();
      }
    }
  }

  @Test
  void validatingABrokenSpecReportsEveryProblemWithItsPathAndCreatesNothing() {
    long auditRows = auditRows();
    String spec =
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: editor-broken
        params:
          base: {type: checkpoint}
          corpus: {type: dataset}
        steps:
          - id: cpt
            kind: continual-pretrain
            model: ${{ params.base }}
            data: ${{ params.corpus }}
            config: {lr: 0, colour: red}
          - id: merge
            kind: mrge
          - id: eval
            kind: evaluate
            model: ${{ steps.nope.outputs.model }}
        """;
    JsonPath answer =
        given()
            .contentType("application/yaml")
            .body(spec.getBytes())
            .post("/api/v1/templates/validate")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();

    assertThat(answer.getBoolean("valid")).isFalse();
    assertThat(answer.getList("problems.path", String.class))
        .contains(
            "steps[0].config.lr", "steps[0].config.colour", "steps[1].kind", "steps[2].model");
    assertThat(answer.getList("problems.message", String.class)).contains("must be > 0");
    assertThat(answer.getString("name")).isEqualTo("editor-broken");
    assertThat(answer.getList("steps.id", String.class)).contains("cpt", "eval");

    given().get("/api/v1/templates/editor-broken").then().statusCode(404);
    assertThat(given().get("/api/v1/templates").jsonPath().getList("items.name", String.class))
        .doesNotContain("editor-broken");
    assertThat(auditRows())
        .as("validation changes nothing, so it adds no audit event")
        .isEqualTo(auditRows);
  }

  @Test
  void textThatIsNotASpecIsAProblemAtTheDocumentNotAServerError() {
    JsonPath answer =
        given()
            .contentType("application/yaml")
            .body("steps: [unclosed".getBytes())
            .post("/api/v1/templates/validate")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(answer.getBoolean("valid")).isFalse();
    assertThat(answer.getList("problems.path", String.class)).containsExactly("$");
    assertThat(answer.getList("steps")).isEmpty();

    given()
        .contentType(ContentType.JSON)
        .body(Map.of())
        .post("/api/v1/templates/validate")
        .then()
        .statusCode(400);
  }

  @Test
  void aValidSpecShowsItsGraphAndTheSameBodyThenSavesAsATemplateAndANewVersion() {
    String spec =
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: editor-valid
        steps:
          - id: make
            kind: command
            run: echo hi > "$TRAINYARD_OUTPUT/hi.txt"
          - id: use
            kind: command
            inputs: {made: "${{ steps.make.outputs.output }}"}
            run: cat "$TRAINYARD_INPUT_MADE"
          - id: sign-off
            kind: approval
            needs: [use]
        """;
    Map<String, String> body = Map.of("spec", spec);
    JsonPath answer =
        given()
            .contentType(ContentType.JSON)
            .body(body)
            .post("/api/v1/templates/validate")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(answer.getBoolean("valid")).isTrue();
    assertThat(answer.getList("problems")).isEmpty();
    assertThat(answer.getList("steps.id", String.class)).containsExactly("make", "use", "sign-off");
    assertThat(answer.getList("steps.find { it.id == 'use' }.dependsOn", String.class))
        .containsExactly("make");
    assertThat(answer.getList("steps.find { it.id == 'sign-off' }.dependsOn", String.class))
        .containsExactly("use");
    assertThat(answer.get("latestVersion") == null).isTrue();
    // The local-mode user is an admin: its command steps need no further approval.
    assertThat(answer.getBoolean("needsApproval")).isFalse();

    given()
        .contentType(ContentType.JSON)
        .body(body)
        .post("/api/v1/templates")
        .then()
        .statusCode(201);
    JsonPath again =
        given()
            .contentType(ContentType.JSON)
            .body(body)
            .post("/api/v1/templates/validate")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(again.getInt("latestVersion")).isEqualTo(1);
  }

  @Test
  void halfWrittenSpecsAsAnEditorSendsThemAlwaysGetProblemsWithPathsNeverAServerError() {
    String spec =
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: editor-fuzz
        params:
          base: {type: checkpoint}
          corpus: {type: dataset}
        steps:
          - id: cpt
            kind: continual-pretrain
            model: ${{ params.base }}
            data: ${{ params.corpus }}
            matrix: {lr: [1.0e-4, 2.0e-4]}
            config: {lr: "${{ matrix.lr }}", replay: {dataset: "${{ params.corpus }}", ratio: 0.1}}
          - id: merge
            kind: merge
            method: linear
            models: [{model: "${{ steps.cpt.outputs.model }}"}]
            needs: [cpt]
          - id: eval
            kind: evaluate
            model: ${{ steps.merge.outputs.model }}
            data: ${{ params.corpus }}
            gate: {metric: accuracy, min: 0.5}
        """;
    java.util.Random random = new java.util.Random(20261201);
    List<String> failures = new java.util.ArrayList<>();
    for (int i = 0; i < 300; i++) {
      // What an editor sends mid-typing: the text cut anywhere, or with a stretch deleted.
      int a = random.nextInt(spec.length());
      int b = Math.min(spec.length(), a + random.nextInt(40));
      String text = i % 2 == 0 ? spec.substring(0, a) : spec.substring(0, a) + spec.substring(b);
      if (text.isBlank()) {
        continue;
      }
      var response =
          given()
              .contentType("application/yaml")
              .body(text.getBytes())
              .post("/api/v1/templates/validate");
      if (response.statusCode() != 200) {
        failures.add(response.statusCode() + " for: " + text);
        continue;
      }
      JsonPath answer = response.jsonPath();
      List<String> paths = answer.getList("problems.path", String.class);
      if (answer.getBoolean("valid") != paths.isEmpty()
          || paths.stream().anyMatch(p -> p == null || p.isBlank())) {
        failures.add(
            "valid=" + answer.getBoolean("valid") + " with problems " + paths + " for: " + text);
      }
    }
    assertThat(failures).isEmpty();
    given().get("/api/v1/templates/editor-fuzz").then().statusCode(404);
  }

  private static long auditRows() {
    return given()
        .get("/api/v1/audit/verify")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getLong("rowsChecked");
  }
}
