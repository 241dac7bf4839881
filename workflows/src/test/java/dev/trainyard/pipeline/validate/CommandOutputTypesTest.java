package dev.trainyard.pipeline.validate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.trainyard.pipeline.Pipelines;
import dev.trainyard.pipeline.plan.ExecutionPlan;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A {@code command} step that is a team's own trainer says what its output is. */
class CommandOutputTypesTest {
  private static final String HEADER =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: t
      params:
        corpus: {type: dataset}
      steps:
      """;

  @Test
  void aCommandMayDeclareItsOutputACheckpointOrAnAdapterAndItsInputsAreItsUpstream() {
    ExecutionPlan plan =
        Pipelines.compile(
            HEADER
                + """
          - id: trainer
            kind: command
            output_type: checkpoint
            inputs: {data: "${{ params.corpus }}"}
            run: "true"
          - id: lora
            kind: command
            output_type: adapter
            inputs: {base: "${{ steps.trainer.outputs.output }}"}
            run: "true"
        """,
            Map.of("corpus", "a".repeat(64)));

    assertThat(plan.steps()).hasSize(2);
    assertThat(plan.steps().get(1).needs()).containsExactly("trainer");
  }

  @Test
  void anUnknownOutputTypeNamesTheAllowedOnes() {
    assertThat(
            problems(
                """
          - id: weights
            kind: command
            output_type: model
            run: "true"
        """))
        .containsExactly("steps[0].output_type: must be one of files, checkpoint, adapter");
  }

  @Test
  void anAdapterOutputIsNotACheckpoint() {
    assertThat(
            problems(
                """
          - id: lora
            kind: command
            output_type: adapter
            run: "true"
          - id: tune
            kind: sft
            model: ${{ steps.lora.outputs.output }}
            data: ${{ params.corpus }}
        """))
        .containsExactly(
            "steps[1].model: expected checkpoint, but output 'output' of step 'lora' (command) is adapter");
  }

  private static java.util.List<String> problems(String steps) {
    var e =
        catchThrowableOfType(
            InvalidSpecException.class,
            () -> Pipelines.compile(HEADER + steps, Map.of("corpus", "a".repeat(64))));
    assertThat(e).as("expected the spec to be rejected").isNotNull();
    return e.problems().stream().map(Problem::toString).toList();
  }
}
