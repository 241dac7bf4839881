package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client that sends broken JSON learns where it broke (line and column, the JSON path) and what
 * was expected, in the API's own words: never a Java class name from the binding underneath.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class MalformedBodiesTest {
  /**
   * What a Java type name looks like in a message: qualified names, the body records, binary names.
   */
  static final Pattern JAVA_TYPE =
      Pattern.compile(
          "java\\.|javax\\.|jakarta\\.|dev\\.trainyard|com\\.fasterxml|org\\.jboss|\\w\\$\\w|`"
              + "|LaunchBody|MoveBody|CreateBody|RegisterBody|ImportBody|PolicyBody|ApplyBody|SpecBody|CancelBody|LinkedHashMap|Integer|Source:");

  record Case(String method, String path, String body) {}

  static final List<Case> CASES =
      List.of(
          new Case("POST", "/api/v1/runs", "{\"template\": [1,"),
          new Case("POST", "/api/v1/runs", "{\"template\": \"hello\", \"version\": \"two\"}"),
          new Case("POST", "/api/v1/runs", "[\"hello\"]"),
          new Case("POST", "/api/v1/runs", "{\"template\": \"hello\", \"params\": [1, 2]}"),
          new Case("POST", "/api/v1/runs", "\"hello\""),
          new Case("POST", "/api/v1/runs", "{\"template\": \"hello\",, }"),
          new Case("PUT", "/api/v1/aliases/broken", "{\"artifact\": {\"id\": 1}}"),
          new Case("PUT", "/api/v1/aliases/broken", "{\"artifact\": \"abc\""),
          new Case(
              "POST", "/api/v1/datasets", "{\"name\": \"d\", \"uri\": [true], \"sha256\": \"x\"}"),
          new Case("POST", "/api/v1/datasets", "{\"name\": \"d\"\n \"uri\": \"file:///x\"}"),
          new Case("POST", "/api/v1/checkpoints/import", "{\"uri\": [true], \"name\": 7}"),
          new Case("POST", "/api/v1/checkpoints/import", "{\"uri\": \"file:///x\","),
          new Case("POST", "/api/v1/templates", "{\"spec\": [\"steps\"]}"),
          new Case(
              "PUT", "/api/v1/templates/hello/retention", "{\"keepLastIntermediate\": \"many\"}"),
          new Case("POST", "/api/v1/runs/run-nope/cancel", "{\"reason\": [1]}"),
          new Case("POST", "/api/v1/runs/run-nope/cancel", "{\"reason\": "),
          new Case(
              "POST",
              "/api/v1/webhooks",
              "{\"url\": \"https://x.org/\", \"events\": \"run.ended\"}"),
          new Case("POST", "/api/v1/webhooks", "{\"url\": [\"https://x.org/\"]"),
          new Case(
              "POST",
              "/api/v1/templates/hello/triggers",
              "{\"event\": \"run.ended\", \"version\": \"two\"}"),
          new Case(
              "POST",
              "/api/v1/templates/hello/triggers",
              "{\"event\": \"run.ended\", \"match\": [1]}"));

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  @Test
  void badBodiesAreAnsweredAsProblemsThatNameNoJavaType() {
    List<String> failures = new ArrayList<>();
    for (Case c : CASES) {
      Response response =
          given()
              .contentType("application/json")
              .body(c.body().getBytes(StandardCharsets.UTF_8))
              .request(c.method(), c.path());
      String text = response.asString();
      String where =
          c.method()
              + " "
              + c.path()
              + " "
              + c.body()
              + " -> "
              + response.statusCode()
              + " "
              + text;
      if (response.statusCode() != 400) {
        failures.add("not 400: " + where);
      } else if (!String.valueOf(response.contentType()).startsWith("application/problem+json")) {
        failures.add("not problem+json: " + where);
      } else if (JAVA_TYPE.matcher(text).find()) {
        failures.add("names a Java type: " + where);
      } else if (response.jsonPath().getList("errors").isEmpty()) {
        failures.add("no errors with paths: " + where);
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void parametersOfTheWrongTypeAreRefusedWithoutNamingAJavaType() {
    List<String> failures = new ArrayList<>();
    for (String path :
        List.of(
            "/api/v1/audit?limit=lots",
            "/api/v1/templates/hello/versions/two",
            "/api/v1/runs/run-nope/steps/s/log?attempt=first",
            "/api/v1/artifacts?limit=1.5")) {
      Response response = given().accept("application/json").get(path);
      String where = path + " -> " + response.statusCode() + " " + response.asString();
      if (response.statusCode() < 400 || response.statusCode() >= 500) {
        failures.add("not 4xx: " + where);
      } else if (JAVA_TYPE.matcher(response.asString()).find()) {
        failures.add("names a Java type: " + where);
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void aSyntaxErrorSaysItsLineAndColumn() {
    // The second line lacks the comma after "d": the parser stops at column 2 of line 2.
    JsonPath problem =
        given()
            .contentType("application/json")
            .body("{\"name\": \"d\"\n \"uri\": \"file:///x\"}".getBytes(StandardCharsets.UTF_8))
            .post("/api/v1/datasets")
            .then()
            .statusCode(400)
            .contentType("application/problem+json")
            .extract()
            .jsonPath();
    assertThat(problem.getInt("line")).isEqualTo(2);
    assertThat(problem.getInt("column")).isEqualTo(2);
    assertThat(problem.getString("detail")).contains("line 2, column 2");
    assertThat(problem.getString("errors[0].path")).isEqualTo("$");
  }

  @Test
  void aValueOfTheWrongTypeSaysItsPathAndWhatWasExpected() {
    JsonPath problem =
        given()
            .contentType("application/json")
            .body(
                "{\"template\": \"hello\",\n \"version\": \"two\"}"
                    .getBytes(StandardCharsets.UTF_8))
            .post("/api/v1/runs")
            .then()
            .statusCode(400)
            .contentType("application/problem+json")
            .extract()
            .jsonPath();
    assertThat(problem.getString("errors[0].path")).isEqualTo("$.version");
    assertThat(problem.getString("errors[0].message")).isEqualTo("expected an integer");
    assertThat(problem.getInt("line")).isEqualTo(2);
  }
}
