package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the dashboard's pickers, registry columns and spec viewer read: artifact search, measured
 * sizes, step dependencies.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class RegistryQueriesTest {
  @Inject EntityManager em;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  @Test
  void artifactsAreFoundByNamePrefixIdPrefixOrAliasPrefixAndCarryTheirMeasuredSizeAndSparsity() {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    String template = "reg-" + tag;
    Api.createTemplate(
        "apiVersion: trainyard/v1\nkind: Pipeline\nname: "
            + template
            + "\nsteps:\n  - id: prune\n    kind: command\n    run: 'true'\n");
    String run = "run-reg-" + tag;
    String pruned = hex('a', tag);
    String other = hex('b', tag);
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              em.createNativeQuery(
                      "INSERT INTO run (id, template_name, template_version, status, params, plan, launched_by)"
                          + " VALUES (?1, ?2, 1, 'SUCCEEDED', '{}', '{}', 'test')")
                  .setParameter(1, run)
                  .setParameter(2, template)
                  .executeUpdate();
              em.createNativeQuery(
                      "INSERT INTO step (run_id, step_id, position, kind, status, needs) VALUES (?1, 'prune', 0, 'prune', 'SUCCEEDED', '[]')")
                  .setParameter(1, run)
                  .executeUpdate();
              em.createNativeQuery(
                      "INSERT INTO step_attempt (run_id, step_id, attempt, status, metrics) VALUES (?1, 'prune', 1, 'SUCCEEDED',"
                          + " CAST('{\"parameters\": 1234567.0, \"sparsity\": 0.5, \"seconds\": 2}' AS jsonb))")
                  .setParameter(1, run)
                  .executeUpdate();
              em.createNativeQuery(
                      "INSERT INTO artifact (id, type, name, uri, size_bytes, run_id, step_id, attempt, output_name, created_by)"
                          + " VALUES (?1, 'checkpoint', ?2, 'file:///x', 10, ?3, 'prune', 1, 'model', 'test')")
                  .setParameter(1, pruned)
                  .setParameter(2, "Tiny_" + tag)
                  .setParameter(3, run)
                  .executeUpdate();
              em.createNativeQuery(
                      "INSERT INTO artifact (id, type, name, uri, size_bytes, created_by)"
                          + " VALUES (?1, 'checkpoint', ?2, 'file:///y', 10, 'test')")
                  .setParameter(1, other)
                  .setParameter(2, "tinyx" + tag)
                  .executeUpdate();
            });
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("artifact", pruned))
        .put("/api/v1/aliases/cand-" + tag)
        .then()
        .statusCode(200);

    assertThat(ids("tiny_" + tag)).containsExactly(pruned); // any case; '_' is not a wildcard
    assertThat(ids(pruned.substring(0, 14))).containsExactly(pruned);
    assertThat(ids("cand-" + tag.substring(0, 4))).containsExactly(pruned);
    assertThat(ids("nothing-" + tag)).isEmpty();

    JsonPath page =
        given()
            .queryParam("type", "checkpoint")
            .queryParam("q", "tiny")
            .queryParam("limit", 1000)
            .get("/api/v1/artifacts")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    Map<String, Object> measured = page.getMap("items.find { it.id == '" + pruned + "' }");
    assertThat(((Number) measured.get("parameters")).longValue()).isEqualTo(1234567L);
    assertThat(((Number) measured.get("sparsity")).doubleValue()).isEqualTo(0.5);
    Map<String, Object> registered = page.getMap("items.find { it.id == '" + other + "' }");
    assertThat(registered.get("parameters")).isNull();
    assertThat(registered.get("sparsity")).isNull();
    JsonPath detail =
        given().get("/api/v1/artifacts/cand-" + tag).then().statusCode(200).extract().jsonPath();
    assertThat(detail.getLong("parameters")).isEqualTo(1234567L);
    assertThat(detail.getDouble("sparsity")).isEqualTo(0.5);
  }

  @Test
  void
      aCheckpointIsNamedByItsTemplateStepRunAndAliasesAndCarriesItsHeadlineEvalInListsAndLineage() {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    String template = "named-" + tag;
    Api.createTemplate(
        "apiVersion: trainyard/v1\nkind: Pipeline\nname: "
            + template
            + "\nsteps:\n  - id: train\n    kind: command\n    run: 'true'\n");
    String run = "run-named-" + tag;
    String model = hex('c', tag);
    String unscored = hex('d', tag);
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              em.createNativeQuery(
                      "INSERT INTO run (id, template_name, template_version, status, params, plan, launched_by)"
                          + " VALUES (?1, ?2, 1, 'SUCCEEDED', '{}', '{}', 'test')")
                  .setParameter(1, run)
                  .setParameter(2, template)
                  .executeUpdate();
              for (String[] step :
                  new String[][] {{"train", "sft", "0"}, {"eval", "evaluate", "1"}}) {
                em.createNativeQuery(
                        "INSERT INTO step (run_id, step_id, position, kind, status, needs) VALUES (?1, ?2, ?3, ?4, 'SUCCEEDED', '[]')")
                    .setParameter(1, run)
                    .setParameter(2, step[0])
                    .setParameter(3, Integer.parseInt(step[2]))
                    .setParameter(4, step[1])
                    .executeUpdate();
              }
              em.createNativeQuery(
                      "INSERT INTO step_attempt (run_id, step_id, attempt, status, finished_at) VALUES (?1, 'train', 1, 'SUCCEEDED', now())")
                  .setParameter(1, run)
                  .executeUpdate();
              em.createNativeQuery(
                      "INSERT INTO step_attempt (run_id, step_id, attempt, status, finished_at, metrics) VALUES (?1, 'eval', 1, 'SUCCEEDED', now(),"
                          + " CAST('{\"perplexity\": 3.2, \"exact_match\": 0.75}' AS jsonb))")
                  .setParameter(1, run)
                  .executeUpdate();
              for (String id : List.of(model, unscored)) {
                em.createNativeQuery(
                        "INSERT INTO artifact (id, type, uri, size_bytes, run_id, step_id, attempt, output_name, created_by)"
                            + " VALUES (?1, 'checkpoint', 'file:///x', 10, ?2, 'train', 1, 'model', 'test')")
                    .setParameter(1, id)
                    .setParameter(2, run)
                    .executeUpdate();
              }
              em.createNativeQuery(
                      "INSERT INTO lineage_edge (from_node, to_node, role) VALUES (?1, ?2, 'input:model')")
                  .setParameter(1, "artifact:" + model)
                  .setParameter(2, "step:" + run + "/eval/1")
                  .executeUpdate();
            });
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("artifact", model))
        .put("/api/v1/aliases/best-" + tag)
        .then()
        .statusCode(200);

    JsonPath page =
        given()
            .queryParam("q", model.substring(0, 20))
            .get("/api/v1/artifacts")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(page.getString("items[0].template")).isEqualTo(template);
    assertThat(page.getString("items[0].producedBy.stepId")).isEqualTo("train");
    assertThat(page.getList("items[0].aliases", String.class)).containsExactly("best-" + tag);
    // exact_match is the headline over perplexity, whatever the order the attempt wrote them in
    assertThat(page.getString("items[0].bestEval.metric")).isEqualTo("exact_match");
    assertThat(page.getDouble("items[0].bestEval.value")).isEqualTo(0.75);
    assertThat(page.getBoolean("items[0].bestEval.higherIsBetter")).isTrue();
    assertThat(page.getInt("items[0].bestEval.evaluations")).isEqualTo(1);
    assertThat(page.getString("items[0].bestEval.stepId")).isEqualTo("eval");
    JsonPath bare =
        given()
            .queryParam("q", unscored.substring(0, 20))
            .get("/api/v1/artifacts")
            .then()
            .extract()
            .jsonPath();
    assertThat(bare.getString("items[0].bestEval")).isNull();
    assertThat(bare.getList("items[0].aliases")).isEmpty();

    JsonPath lineage =
        given()
            .queryParam("direction", "descendants")
            .get("/api/v1/artifacts/" + model + "/lineage")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    Map<String, Object> self = lineage.getMap("nodes.find { it.id == 'artifact:" + model + "' }");
    assertThat(self)
        .containsEntry("template", template)
        .containsEntry("stepId", "train")
        .containsEntry("kind", "sft")
        .containsEntry("runId", run)
        .containsEntry("aliases", List.of("best-" + tag));
    Map<String, Object> eval = lineage.getMap("nodes.find { it.id == 'step:" + run + "/eval/1' }");
    assertThat(eval)
        .containsEntry("stepId", "eval")
        .containsEntry("kind", "evaluate")
        .containsEntry("template", template);
  }

  @Test
  void aTemplateStepDependsOnTheStepsWhoseOutputsItReferencesAsWellAsItsNeeds() {
    given().get("/api/v1/templates/hello").then().statusCode(200);
    JsonPath hello = given().get("/api/v1/templates/hello").then().extract().jsonPath();
    assertThat(hello.getList("steps.find { it.id == 'shard' }.needs", String.class)).isEmpty();
    assertThat(hello.getList("steps.find { it.id == 'shard' }.dependsOn", String.class))
        .containsExactly("greet");
    assertThat(hello.getList("steps.find { it.id == 'join' }.dependsOn", String.class))
        .containsExactly("shard");
    assertThat(hello.getList("steps.find { it.id == 'greet' }.dependsOn", String.class)).isEmpty();
  }

  private static List<String> ids(String q) {
    return given()
        .queryParam("q", q)
        .get("/api/v1/artifacts")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("items.id", String.class);
  }

  /** A 64-hex id unique to this test run. */
  private static String hex(char lead, String tag) {
    String t = tag.replaceAll("[^0-9a-f]", "0");
    return (lead + t + "0".repeat(64)).substring(0, 64);
  }
}
