package dev.trainyard.backend.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.security.Caller;
import dev.trainyard.backend.security.CallerContext;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The runs list as the dashboard and scripts filter it. Twelve runs are seeded in January 2001, so
 * runs launched by other tests (created now) never match; each run's attributes follow its number:
 * odd numbers use template fq-alpha, even fq-beta; 1–6 belong to team-x, 7–12 to team-y; multiples
 * of 3 were launched by "Alice", the others by "bob"; run i was created at hour i of 2001-01-0(1 +
 * i/5).
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class RunsListFiltersTest {
  static final Map<String, Object> IN_2001 =
      Map.of("createdFrom", "2001-01-01", "createdTo", "2001-01-31");

  @Inject EntityManager em;

  @BeforeEach
  void seed() {
    Api.signIn();
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              if (((Number)
                          em.createNativeQuery("SELECT count(*) FROM run WHERE id LIKE 'run-fq-%'")
                              .getSingleResult())
                      .intValue()
                  > 0) {
                return;
              }
              for (String t : List.of("fq-alpha", "fq-beta")) {
                em.createNativeQuery("INSERT INTO template (name, created_by) VALUES (?1, 'test')")
                    .setParameter(1, t)
                    .executeUpdate();
                em.createNativeQuery(
                        "INSERT INTO template_version (template_name, version, spec, spec_sha256, created_by)"
                            + " VALUES (?1, 1, 'x', 'x', 'test')")
                    .setParameter(1, t)
                    .executeUpdate();
              }
              for (int i = 1; i <= 12; i++) {
                em.createNativeQuery(
                        "INSERT INTO run (id, template_name, template_version, status, params, plan, launched_by,"
                            + " team, created_at) VALUES (?1, ?2, 1, 'SUCCEEDED', '{}', '{}', ?3, ?4,"
                            + " timestamptz '2001-01-01 00:00:00+00' + make_interval(days => ?5, hours => ?6))")
                    .setParameter(1, id(i))
                    .setParameter(2, i % 2 == 1 ? "fq-alpha" : "fq-beta")
                    .setParameter(3, i % 3 == 0 ? "Alice" : "bob")
                    .setParameter(4, i <= 6 ? "team-x" : "team-y")
                    .setParameter(5, i / 5)
                    .setParameter(6, i)
                    .executeUpdate();
              }
            });
  }

  @Test
  void eachFilterShowsOnlyTheRunsThatMatchItNewestFirst() {
    assertThat(ids(Map.of("team", "team-x")))
        .containsExactly(id(6), id(5), id(4), id(3), id(2), id(1));
    assertThat(ids(Map.of("launchedBy", "Alice"))).containsExactly(id(12), id(9), id(6), id(3));
    assertThat(ids(Map.of("template", "fq-beta")))
        .containsExactly(id(12), id(10), id(8), id(6), id(4), id(2));
    // Days: runs 1-4 on Jan 1, 5-9 on Jan 2, 10-12 on Jan 3. A bare "to" date includes that day.
    assertThat(ids(Map.of("createdFrom", "2001-01-02", "createdTo", "2001-01-02")))
        .containsExactly(id(9), id(8), id(7), id(6), id(5));
    assertThat(ids(Map.of("createdFrom", "2001-01-03T11:00:00Z", "createdTo", "2001-01-31")))
        .containsExactly(id(12), id(11));
    assertThat(ids(Map.of("team", "team-y", "launchedBy", "bob", "template", "fq-alpha")))
        .containsExactly(id(11), id(7));
  }

  @Test
  void searchMatchesTheStartOfTheRunIdTemplateOrLauncherIgnoringCase() {
    assertThat(ids(Map.of("q", "run-fq-1"))).containsExactly(id(12), id(11), id(10), id(1));
    assertThat(ids(Map.of("q", "FQ-ALP")))
        .containsExactly(id(11), id(9), id(7), id(5), id(3), id(1));
    assertThat(ids(Map.of("q", "ali"))).containsExactly(id(12), id(9), id(6), id(3));
    assertThat(ids(Map.of("q", "  BoB "))).hasSize(8);
    // A prefix, not a substring; and LIKE wildcards typed by the user are plain characters.
    assertThat(ids(Map.of("q", "alpha"))).isEmpty();
    assertThat(ids(Map.of("q", "fq%"))).isEmpty();
    assertThat(ids(Map.of("q", "run_fq"))).isEmpty();
    assertThat(ids(Map.of("q", "ali", "team", "team-y"))).containsExactly(id(12), id(9));
  }

  @Test
  void filteredListsPageThroughEveryMatchOnceWithTheCursor() {
    List<String> seen = new ArrayList<>();
    List<Integer> pageSizes = new ArrayList<>();
    String cursor = null;
    do {
      var request =
          given()
              .queryParams(IN_2001)
              .queryParam("launchedBy", "bob")
              .queryParam("q", "fq-")
              .queryParam("limit", 3);
      if (cursor != null) {
        request.queryParam("cursor", cursor);
      }
      JsonPath page = request.get("/api/v1/runs").then().statusCode(200).extract().jsonPath();
      List<String> items = page.getList("items.id", String.class);
      seen.addAll(items);
      pageSizes.add(items.size());
      cursor = page.getString("nextCursor");
    } while (cursor != null);
    assertThat(seen).containsExactly(id(11), id(10), id(8), id(7), id(5), id(4), id(2), id(1));
    assertThat(pageSizes).containsExactly(3, 3, 2);
  }

  @Test
  void aCallerOutsideATeamSeesNoneOfItsRunsWhateverTheFilters() {
    QuarkusMock.installMockForType(
        new CallerContext() {
          @Override
          public Caller caller() {
            return new Caller("carol", Set.of(Caller.VIEWER), Set.of("team-x"));
          }
        },
        CallerContext.class);
    assertThat(ids(Map.of())).containsExactly(id(6), id(5), id(4), id(3), id(2), id(1));
    assertThat(ids(Map.of("team", "team-y"))).isEmpty();
    assertThat(ids(Map.of("q", "run-fq-1"))).containsExactly(id(1));
  }

  @Test
  void badFilterValuesAnswer400NamingEachParameter() {
    given()
        .queryParam("createdFrom", "yesterday")
        .get("/api/v1/runs")
        .then()
        .statusCode(400)
        .contentType("application/problem+json")
        .body("errors[0].path", equalTo("createdFrom"));
    given()
        .queryParam("createdFrom", "2001-02-01")
        .queryParam("createdTo", "2001-01-01")
        .get("/api/v1/runs")
        .then()
        .statusCode(400)
        .body("errors[0].path", equalTo("createdTo"));
    given()
        .queryParam("q", "x".repeat(201))
        .get("/api/v1/runs")
        .then()
        .statusCode(400)
        .body("errors[0].path", equalTo("q"));
    given()
        .queryParam("team", " ")
        .queryParam("launchedBy", "x".repeat(201))
        .queryParam("createdTo", "31/01/2001")
        .get("/api/v1/runs")
        .then()
        .statusCode(400)
        .body("errors.path", hasItems("team", "launchedBy", "createdTo"));
  }

  private static List<String> ids(Map<String, Object> filters) {
    Map<String, Object> all = new java.util.HashMap<>(IN_2001);
    all.putAll(filters);
    return given()
        .queryParams(all)
        .queryParam("limit", 100)
        .get("/api/v1/runs")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("items.id", String.class);
  }

  private static String id(int i) {
    return "run-fq-" + i;
  }
}
