package dev.trainyard.pipeline.kind;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KindSchemasTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final JsonSchemaFactory FACTORY =
      JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private static final JsonSchema META = FACTORY.getSchema(SchemaLocation.of(KindSchemas.DIALECT));

  @Test
  void everyKindsSchemaIsAValidDraft202012Schema() {
    for (StepKind kind : StepKinds.all()) {
      Set<ValidationMessage> errors = META.validate(JSON.valueToTree(KindSchemas.of(kind)));
      assertThat(errors).as(kind.name()).isEmpty();
    }
    assertThat(META.validate(JSON.valueToTree(KindSchemas.pipeline()))).isEmpty();
  }

  @Test
  void theMetaSchemaReallyRejectsABrokenSchema() {
    // Guards the check above: the validator must not accept anything.
    assertThat(META.validate(JSON.valueToTree(java.util.Map.of("type", 12, "required", "id"))))
        .isNotEmpty();
  }

  @Test
  void everyKindsExampleIsValidAgainstItsOwnSchema() {
    for (StepKind kind : StepKinds.all()) {
      assertThat(kind.example()).as(kind.name() + " has an example").isNotNull();
      JsonSchema schema = schemaOf(kind);
      assertThat(schema.validate(JSON.valueToTree(KindSchemas.example(kind))))
          .as(kind.name())
          .isEmpty();
    }
  }

  @Test
  void theSchemaRefusesWhatTheValidatorRefuses() throws Exception {
    JsonSchema sft = schemaOf(StepKinds.SFT);

    assertThat(
            paths(
                sft.validate(
                    yaml(
                        """
        {id: s, kind: sft, model: "${{ params.base }}", data: "${{ params.d }}", config: {lr: 0}}"""))))
        .contains("$.config.lr");
    assertThat(
            messages(
                sft.validate(
                    yaml(
                        """
        {id: s, kind: sft, model: "${{ params.base }}", data: "${{ params.d }}", colour: red}"""))))
        .anyMatch(m -> m.contains("colour"));
    assertThat(messages(sft.validate(yaml("{id: s, kind: sft, data: \"${{ params.d }}\"}"))))
        .anyMatch(m -> m.contains("model"));
    assertThat(
            paths(
                sft.validate(
                    yaml(
                        """
        {id: s, kind: sft, model: some-checkpoint-name, data: "${{ params.d }}"}"""))))
        .contains("$.model");
    assertThat(
            paths(
                sft.validate(
                    yaml(
                        """
        {id: Bad_Id, kind: sft, model: "${{ params.base }}", data: "${{ params.d }}"}"""))))
        .contains("$.id");
    assertThat(
            paths(
                sft.validate(
                    yaml(
                        """
        {id: s, kind: merge, model: "${{ params.base }}", data: "${{ params.d }}"}"""))))
        .contains("$.kind");
  }

  @Test
  void anExpressionStandsForAValueKnownAtLaunch() throws Exception {
    JsonSchema sft = schemaOf(StepKinds.SFT);
    assertThat(
            sft.validate(
                yaml(
                    """
        id: s
        kind: sft
        model: ${{ steps.cpt.outputs.model }}
        data: ${{ params.d }}
        timeout: 2h
        matrix: {lr: [1.0e-4, 3.0e-4]}
        config: {lr: "${{ matrix.lr }}", max_steps: "${{ params.steps }}", precision: bf16}
        """)))
        .isEmpty();
  }

  @Test
  void aWholePipelineValidatesAgainstThePipelineSchema() throws Exception {
    JsonSchema pipeline = FACTORY.getSchema(JSON.valueToTree(KindSchemas.pipeline()));
    JsonNode spec =
        yaml(
            """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: cpt-then-merge
        params:
          base: {type: checkpoint}
          corpus: {type: dataset}
        steps:
          - id: cpt
            kind: continual-pretrain
            model: ${{ params.base }}
            data: ${{ params.corpus }}
            config: {max_steps: 20}
          - id: merge
            kind: merge
            method: linear
            models: [{model: "${{ steps.cpt.outputs.model }}"}, {model: "${{ params.base }}"}]
        """);
    assertThat(pipeline.validate(spec)).isEmpty();
    ((com.fasterxml.jackson.databind.node.ObjectNode) spec.get("steps").get(1))
        .put("method", "average");
    assertThat(pipeline.validate(spec)).isNotEmpty();
  }

  @Test
  void integerBoundsReadAsIntegersAndConstraintPatternsAreAnchored() throws Exception {
    JsonNode sft = JSON.valueToTree(KindSchemas.of(StepKinds.SFT));
    JsonNode maxSteps = sft.at("/properties/config/properties/max_steps");
    assertThat(maxSteps.at("/anyOf/0/type").asText()).isEqualTo("integer");
    assertThat(maxSteps.at("/anyOf/0/exclusiveMinimum").isIntegralNumber()).isTrue();
    assertThat(maxSteps.at("/anyOf/1/pattern").asText()).isEqualTo(KindSchemas.EXPRESSION_PATTERN);
    assertThat(sft.at("/properties/id/pattern").asText())
        .isEqualTo("^(?:" + StepKinds.ID_PATTERN + ")$");
    assertThat(sft.at("/properties/timeout/anyOf")).hasSize(3);
  }

  private static JsonSchema schemaOf(StepKind kind) {
    return FACTORY.getSchema(JSON.valueToTree(KindSchemas.of(kind)));
  }

  private static JsonNode yaml(String text) throws Exception {
    return YAML.readTree(text);
  }

  private static List<String> paths(Set<ValidationMessage> errors) {
    return errors.stream().map(e -> e.getInstanceLocation().toString()).toList();
  }

  private static List<String> messages(Set<ValidationMessage> errors) {
    return errors.stream().map(ValidationMessage::getMessage).toList();
  }
}
