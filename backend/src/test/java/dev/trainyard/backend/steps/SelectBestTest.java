package dev.trainyard.backend.steps;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * select-best on real reports of a real run: two pretrained models (1 and 40 steps) each evaluated
 * by a following evaluate step, the lower held-out loss picked, and a relative gate on the pick.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class SelectBestTest {
  static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");

  private static final String TEMPLATE =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: select-best-losses
      steps:
        - id: corpus
          kind: command
          run: 'for i in $(seq 200); do echo "the cat sat on the mat."; done > "$TRAINYARD_OUTPUT/train.txt"'
        - id: evalset
          kind: command
          run: 'for i in $(seq 20); do echo "the cat sat on the mat."; done > "$TRAINYARD_OUTPUT/held.txt"'
        - id: pre
          kind: pretrain
          matrix: {steps: [1, 40]}
          model: {preset: tiny, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1}
          data: ${{ steps.corpus.outputs.output }}
          config: {max_steps: "${{ matrix.steps }}", batch_size: 2, seq_len: 16, lr: 3.0e-3}
        - id: eval
          kind: evaluate
          model: ${{ steps.pre.outputs.model }}
          data: ${{ steps.evalset.outputs.output }}
          tasks: [ppl]
        - id: best
          kind: select-best
          candidates: ${{ steps.eval.outputs.report[*] }}
          metric: loss
          mode: min
        - id: again
          kind: evaluate
          model: ${{ steps.best.outputs.model }}
          data: ${{ steps.evalset.outputs.output }}
          tasks: [ppl]
          gate: {metric: loss, beat: "${{ steps.eval.outputs.report[*] }}", mode: min}
        - id: tie
          kind: select-best
          candidates: ["${{ steps.best.outputs.report }}", "${{ steps.again.outputs.report }}"]
          metric: loss
          mode: min
        - id: unmeasured
          kind: select-best
          candidates: ${{ steps.eval.outputs.report[*] }}
          metric: exact_match
      """;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  @Test
  void selectBestPicksTheLowestLossReportAndTheModelItsEvaluationReadWithoutCopyingEither() {
    given()
        .contentType("application/yaml")
        .body(TEMPLATE.getBytes())
        .post("/api/v1/templates")
        .then()
        .statusCode(org.hamcrest.Matchers.lessThan(300));

    String id = Api.launch("select-best-losses", Map.of()).getString("id");
    JsonPath run = Api.awaitStatus(id, TERMINAL, Duration.ofSeconds(300));
    // `unmeasured` asks for a metric a perplexity report does not have: it alone fails.
    assertThat(run.getString("status")).as(run.prettify()).isEqualTo("FAILED");
    assertThat(run.getList("steps.id", String.class))
        .containsExactly(
            "corpus",
            "evalset",
            "pre-0",
            "pre-1",
            "eval-0",
            "eval-1",
            "best",
            "again",
            "tie",
            "unmeasured");
    for (String step : List.of("pre-0", "pre-1", "eval-0", "eval-1", "best", "again", "tie")) {
      assertThat(run.getString("steps.find { it.id == '" + step + "' }.status"))
          .as(step)
          .isEqualTo("SUCCEEDED");
    }

    double[] losses = new double[2];
    for (int i = 0; i < 2; i++) {
      losses[i] =
          run.getDouble("steps.find { it.id == 'eval-" + i + "' }.attempts[0].metrics.loss");
    }
    int winner = losses[0] <= losses[1] ? 0 : 1;
    assertThat(losses[0]).as("two models, two losses").isNotEqualTo(losses[1]);
    String winningModel =
        run.getString("steps.find { it.id == 'pre-" + winner + "' }.outputs.model.artifactId");
    String winningReport =
        run.getString("steps.find { it.id == 'eval-" + winner + "' }.outputs.report.artifactId");
    assertThat(run.getString("steps.find { it.id == 'best' }.outputs.model.artifactId"))
        .isEqualTo(winningModel);
    assertThat(run.getString("steps.find { it.id == 'best' }.outputs.report.artifactId"))
        .isEqualTo(winningReport);
    assertThat(run.getDouble("steps.find { it.id == 'best' }.attempts[0].metrics.selected_index"))
        .isEqualTo(winner);
    assertThat(run.getDouble("steps.find { it.id == 'best' }.attempts[0].metrics.selected_value"))
        .isCloseTo(losses[winner], within(1e-5)); // JsonPath reads JSON numbers as floats
    // The chosen checkpoint is the pretrain step's own artifact, not a copy made by select-best.
    given()
        .get("/api/v1/artifacts/" + winningModel)
        .then()
        .statusCode(200)
        .body("producedBy.stepId", org.hamcrest.Matchers.equalTo("pre-" + winner));

    // The relative gate read both reports and recorded its bound: the best (lowest) loss.
    String againReport = run.getString("steps.find { it.id == 'again' }.outputs.report.artifactId");
    JsonPath gate =
        given()
            .get("/api/v1/artifacts/" + againReport + "/files/eval.json")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(gate.getBoolean("gate.passed")).isTrue();
    assertThat(gate.getString("gate.beat.mode")).isEqualTo("min");
    assertThat(gate.getDouble("gate.beat.best")).isCloseTo(losses[winner], within(1e-5));
    assertThat(gate.getList("gate.beat.reports.report", String.class))
        .containsExactly("eval-0.report", "eval-1.report");

    // The same checkpoint evaluated again scores the same: a tie, which goes to the first
    // candidate; a report select-best passed on still leads back to the checkpoint evaluated.
    assertThat(run.getDouble("steps.find { it.id == 'again' }.attempts[0].metrics.loss"))
        .isEqualTo(
            run.getDouble(
                "steps.find { it.id == 'eval-" + winner + "' }.attempts[0].metrics.loss"));
    assertThat(run.getDouble("steps.find { it.id == 'tie' }.attempts[0].metrics.selected_index"))
        .isZero();
    assertThat(run.getString("steps.find { it.id == 'tie' }.outputs.report.artifactId"))
        .isEqualTo(winningReport);
    assertThat(run.getString("steps.find { it.id == 'tie' }.outputs.model.artifactId"))
        .isEqualTo(winningModel);

    assertThat(run.getString("steps.find { it.id == 'unmeasured' }.attempts[0].error"))
        .startsWith("select-best: candidates[0] (eval-0.report): report ")
        .endsWith(" has no metric 'exact_match'; it has: loss, perplexity");
  }
}
