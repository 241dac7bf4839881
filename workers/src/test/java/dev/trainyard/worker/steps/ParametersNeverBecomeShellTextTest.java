package dev.trainyard.worker.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.pipeline.Pipelines;
import dev.trainyard.pipeline.plan.ExecutionPlan;
import dev.trainyard.pipeline.plan.InputBinding;
import dev.trainyard.pipeline.plan.PlannedStep;
import dev.trainyard.worker.store.LocalArtifactStore;
import dev.trainyard.workflow.ArtifactRef;
import dev.trainyard.workflow.ProducedArtifact;
import dev.trainyard.workflow.StepActivities;
import dev.trainyard.workflow.StepTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe's injection payloads, planned from a real spec and run by the real worker: through the
 * environment, however the template author writes the variable, the value is only ever data.
 */
class ParametersNeverBecomeShellTextTest {
  /** The probe's own payload (issue 11, H3). */
  static final String PROBE = "A$(echo SUBST-RAN)B`echo BT-RAN`\"; echo DQ-BREAKOUT";

  @TempDir Path root;
  private RealStepActivities activities;
  private LocalArtifactStore store;
  private StepActivities steps;

  @BeforeEach
  void setUp() {
    activities = RealStepActivities.start(root, List.of());
    store = activities.store();
    steps = activities.steps();
  }

  @AfterEach
  void tearDown() {
    activities.close();
  }

  @Test
  void theProbesPayloadsUsedBareQuotedInAHeredocOrViaEnvNeverExecute() throws Exception {
    Path witness = root.resolve("witness");
    String breakout =
        "x'; touch "
            + witness
            + "; '$(touch "
            + witness
            + ")`touch "
            + witness
            + "`\"; touch "
            + witness
            + "; \"";
    for (String payload : List.of(PROBE, breakout)) {
      ExecutionPlan plan =
          Pipelines.compile(
              """
          apiVersion: trainyard/v1
          kind: Pipeline
          name: probe
          params:
            msg: {type: string}
            n: {type: int, default: 7}
          steps:
            - id: say
              kind: command
              env: {MSG: "${{ params.msg }}"}
              run: |
                echo $TRAINYARD_PARAM_MSG > "$TRAINYARD_OUTPUT/bare.txt"
                echo "$TRAINYARD_PARAM_MSG" > "$TRAINYARD_OUTPUT/double-quoted.txt"
                echo '$TRAINYARD_PARAM_MSG' > "$TRAINYARD_OUTPUT/single-quoted.txt"
                cat > "$TRAINYARD_OUTPUT/heredoc.txt" <<EOF
                $TRAINYARD_PARAM_MSG
                EOF
                printf '%s\\n' "$MSG" > "$TRAINYARD_OUTPUT/env.txt"
                echo ${{ params.n }} > "$TRAINYARD_OUTPUT/int.txt"
              cache: false
          """,
              Map.of("msg", payload));
      Path out =
          run(plan.step("say").orElseThrow(), Map.of(), "run-" + Math.abs(payload.hashCode()));

      assertThat(out.resolve("double-quoted.txt")).hasContent(payload);
      assertThat(out.resolve("heredoc.txt")).hasContent(payload);
      assertThat(out.resolve("env.txt")).hasContent(payload);
      assertThat(out.resolve("bare.txt"))
          .hasContent(payload); // split into words and echoed back: still data
      assertThat(out.resolve("single-quoted.txt")).hasContent("$TRAINYARD_PARAM_MSG");
      assertThat(out.resolve("int.txt")).hasContent("7");
      try (var files = Files.list(out)) {
        for (Path file : files.toList()) {
          assertThat(Files.readAllLines(file))
              .as(file.getFileName().toString())
              .noneMatch(
                  line ->
                      line.contains("ASUBST-RANB")
                          || line.contains("BT-RAN\"")
                          || line.equals("DQ-BREAKOUT")
                          || line.equals("BT-RAN"));
        }
      }
    }
    assertThat(witness).doesNotExist();
  }

  @Test
  void aFanInReadsItsInputsAsLinesOfAVariableAndAsAFileListingThem() throws Exception {
    ExecutionPlan plan =
        Pipelines.compile(
            """
        apiVersion: trainyard/v1
        kind: Pipeline
        name: fan
        steps:
          - id: part
            kind: command
            matrix: {i: [1, 2, 3]}
            run: echo ${{ matrix.i }} > "$TRAINYARD_OUTPUT/p.txt"
          - id: join
            kind: command
            inputs: {parts: "${{ steps.part.outputs.output }}"}
            run: |
              while IFS= read -r d; do cat "$d/p.txt"; done < "$TRAINYARD_INPUT_PARTS_FILE" > "$TRAINYARD_OUTPUT/all.txt"
              printf '%s\\n' "$TRAINYARD_INPUT_PARTS" | wc -l > "$TRAINYARD_OUTPUT/count.txt"
        """,
            Map.of());
    Map<String, ProducedArtifact> produced = new HashMap<>();
    for (String id : List.of("part-0", "part-1", "part-2")) {
      produced.put(
          id,
          steps
              .execute(task(plan.step(id).orElseThrow(), Map.of(), "run-fan"))
              .outputs()
              .get("output"));
    }
    Path out = run(plan.step("join").orElseThrow(), produced, "run-fan");

    assertThat(out.resolve("all.txt")).hasContent("1\n2\n3");
    assertThat(out.resolve("count.txt")).hasContent("3");
  }

  private Path run(PlannedStep step, Map<String, ProducedArtifact> produced, String runId)
      throws Exception {
    ProducedArtifact output = steps.execute(task(step, produced, runId)).outputs().get("output");
    return store.resolve(new ArtifactRef(output.id(), output.uri()));
  }

  private static StepTask task(
      PlannedStep step, Map<String, ProducedArtifact> produced, String runId) {
    Map<String, ArtifactRef> inputs = new LinkedHashMap<>();
    for (InputBinding binding : step.inputs()) {
      ProducedArtifact artifact = produced.get(binding.fromStep());
      inputs.put(binding.name(), new ArtifactRef(artifact.id(), artifact.uri()));
    }
    return new StepTask(runId, step.id(), step.kind(), 1, step.body(), inputs, 0, 60);
  }
}
