package dev.trainyard.pipeline.reference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.pipeline.kind.StepContract;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SpecReferenceTest {
  /** Tests run in the module's directory; the docs are beside it. */
  private static final Path COMMITTED = Path.of("..").resolve(SpecReference.PATH).normalize();

  private static final String REGENERATE =
      "./mvnw -q -B -pl workflows test -Dtest=SpecReferenceTest -Dtrainyard.regenerate=true";

  @Test
  void theCommittedSpecReferenceIsTheOneGeneratedFromTheCatalogue() throws Exception {
    String generated = SpecReference.markdown();
    if (Boolean.getBoolean("trainyard.regenerate")) {
      Files.writeString(COMMITTED, generated);
    }
    assertThat(Files.exists(COMMITTED))
        .as(SpecReference.PATH + " is missing; regenerate: " + REGENERATE)
        .isTrue();
    assertThat(Files.readString(COMMITTED))
        .as(SpecReference.PATH + " differs from the catalogue; regenerate: " + REGENERATE)
        .isEqualTo(generated);
  }

  @Test
  void theReferenceCoversEveryKindFieldConfigKeyExpressionAndContractVariable() {
    String md = SpecReference.markdown();
    for (StepKind kind : StepKinds.all()) {
      assertThat(md)
          .contains("`" + kind.name() + "`", kind.description(), kind.example().stripTrailing());
      kind.fields()
          .keySet()
          .forEach(field -> assertThat(md).as(kind.name()).contains("| `" + field));
      kind.configKeys()
          .keySet()
          .forEach(key -> assertThat(md).as(kind.name()).contains("| `config." + key + "` |"));
    }
    String ratioRule =
        StepKinds.CONTINUAL_PRETRAIN
            .configKeys()
            .get("replay")
            .entries()
            .get("ratio")
            .constraint()
            .text();
    assertThat(md).contains("| `config.replay.ratio` | number | yes | " + ratioRule + " |");
    StepKinds.COMMON_FIELDS.keySet().forEach(field -> assertThat(md).contains("| `" + field));
    assertThat(md)
        .contains(
            "${{ params.NAME }}",
            "${{ steps.ID.outputs.NAME }}",
            "${{ matrix.KEY }}",
            "${{ inputs }}");
    StepContract.ENVIRONMENT.forEach(
        variable -> assertThat(md).contains("| `" + variable.name() + "` |"));
    assertThat(md)
        .contains(
            "`TRAINYARD_OUTPUT`", "`TRAINYARD_METRICS`", "`step.json`", "`StepTimedOut` | yes");
  }

  @Test
  void theMatrixExampleCompilesIntoOneStepPerValueAndAFanIn() {
    String spec =
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: sweep
        params:
          base: {type: checkpoint}
          instructions: {type: dataset}
        steps:
        """
            + SpecReference.MATRIX_EXAMPLE;
    var plan =
        dev.trainyard.pipeline.Pipelines.compile(
            spec, java.util.Map.of("base", "a".repeat(64), "instructions", "b".repeat(64)));
    assertThat(plan.steps()).extracting(s -> s.id()).containsExactly("sweep-0", "sweep-1", "soup");
  }

  @Test
  void theFanOutExampleCompilesIntoFollowingEvaluationsASoupARelativeGateAndAChoice() {
    String spec =
        """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: soup
        params:
          base: {type: checkpoint}
          instructions: {type: dataset}
          evalset: {type: dataset}
        steps:
        """
            + SpecReference.FAN_OUT_EXAMPLE;
    var plan =
        dev.trainyard.pipeline.Pipelines.compile(
            spec,
            java.util.Map.of(
                "base", "a".repeat(64), "instructions", "b".repeat(64), "evalset", "c".repeat(64)));
    assertThat(plan.steps())
        .extracting(s -> s.id())
        .containsExactly(
            "seeds-0",
            "seeds-1",
            "seeds-2",
            "ingredient-0",
            "ingredient-1",
            "ingredient-2",
            "soup",
            "soup-eval",
            "best-ingredient");
    assertThat((java.util.List<?>) plan.step("soup").orElseThrow().body().get("models")).hasSize(3);
  }
}
