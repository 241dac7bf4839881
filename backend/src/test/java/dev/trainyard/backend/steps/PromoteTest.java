package dev.trainyard.backend.steps;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.worker.runtime.PythonRuntime;
import dev.trainyard.worker.steps.StepKindRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class PromoteTest {
  static final Set<String> TERMINAL = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED");

  @Inject BackendSteps backendSteps;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  @Test
  void everyKindHasAnExecutorInItsCategory() throws Exception {
    var workers =
        StepKindRegistry.standard(
            PythonRuntime.fromEnvironment(Files.createTempDirectory("kinds")));
    for (StepKind kind : StepKinds.all()) {
      switch (kind.execution()) {
        case BACKEND -> assertThat(backendSteps.runnerOf(kind)).as(kind.name()).isPresent();
        case WORKER_JAVA, WORKER_PROCESS, WORKER_TRAINER ->
            assertThat(workers.find(kind.name())).as(kind.name()).isPresent();
        // The workflow itself waits for the approve signal (PipelineWorkflowImpl.awaitApproval).
        case APPROVAL -> assertThat(backendSteps.runnerOf(kind)).isEmpty();
      }
    }
  }

  private static final String TEMPLATE =
      """
      apiVersion: trainyard/v1
      kind: Pipeline
      name: promote-gated
      params:
        min: {type: number, default: 0}
      steps:
        - id: corpus
          kind: command
          run: 'for i in $(seq 200); do echo "12+35=47"; done > "$TRAINYARD_OUTPUT/train.txt"'
        - id: evalset
          kind: command
          run: 'echo "{\\"question\\": \\"12+35=\\", \\"answer\\": \\"47\\"}" > "$TRAINYARD_OUTPUT/qa.jsonl"'
        - id: pre
          kind: pretrain
          model: {preset: tiny, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1}
          data: ${{ steps.corpus.outputs.output }}
          config: {max_steps: 2, batch_size: 2, seq_len: 16}
        - id: eval
          kind: evaluate
          model: ${{ steps.pre.outputs.model }}
          data: ${{ steps.evalset.outputs.output }}
          tasks: [qa]
          gate: {metric: accuracy, min: "${{ params.min }}"}
          config: {max_new_tokens: 2}
        - id: promote
          kind: promote
          model: ${{ steps.pre.outputs.model }}
          report: ${{ steps.eval.outputs.report }}
          alias: promoted-by-test
      """;

  @Test
  void promoteMovesTheAliasAfterAPassingGateAuditedAndAFailedGateKeepsItsReportAndLeavesTheAlias() {
    given()
        .contentType("application/yaml")
        .body(TEMPLATE.getBytes())
        .post("/api/v1/templates")
        .then()
        .statusCode(org.hamcrest.Matchers.lessThan(300));

    String passed = Api.launch("promote-gated", Map.of("min", 0)).getString("id");
    JsonPath run = Api.awaitStatus(passed, TERMINAL, Duration.ofSeconds(240));
    assertThat(run.getString("status")).as(run.prettify()).isEqualTo("SUCCEEDED");
    String model = run.getString("steps.find { it.id == 'pre' }.outputs.model.artifactId");
    given()
        .get("/api/v1/aliases/promoted-by-test")
        .then()
        .statusCode(200)
        .body("artifactId", org.hamcrest.Matchers.equalTo(model))
        .body("updatedBy", org.hamcrest.Matchers.equalTo("local"));
    assertThat(
            given()
                .get("/api/v1/aliases/promoted-by-test/history")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("items.artifactId", String.class))
        .containsExactly(model);
    JsonPath audit =
        given()
            .queryParam("action", "STEP promote")
            .get("/api/v1/audit")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(audit.getList("items.target", String.class))
        .contains("/api/v1/aliases/promoted-by-test");
    assertThat(audit.getList("items.requestId", String.class)).contains(passed + "/promote/1");

    String failed = Api.launch("promote-gated", Map.of("min", 1.5)).getString("id");
    JsonPath gated = Api.awaitStatus(failed, TERMINAL, Duration.ofSeconds(240));
    assertThat(gated.getString("status")).isEqualTo("FAILED");
    assertThat(gated.getString("steps.find { it.id == 'eval' }.status")).isEqualTo("FAILED");
    assertThat(gated.getString("steps.find { it.id == 'promote' }.status")).isEqualTo("SKIPPED");
    List<ArtifactEntity> reports =
        QuarkusTransaction.requiringNew()
            .call(
                () ->
                    ArtifactEntity.<ArtifactEntity>list(
                        "runId = ?1 and stepId = ?2", failed, "eval"));
    assertThat(reports)
        .singleElement()
        .satisfies(
            report -> {
              assertThat(report.type).isEqualTo("eval-report");
              assertThat(report.failed).isTrue();
            });
    given()
        .get("/api/v1/artifacts/" + reports.get(0).id)
        .then()
        .statusCode(200)
        .body("failed", org.hamcrest.Matchers.equalTo(true));
    assertThat(
            given()
                .get("/api/v1/aliases/promoted-by-test/history")
                .then()
                .extract()
                .jsonPath()
                .getList("items.artifactId", String.class))
        .containsExactly(model);
  }
}
