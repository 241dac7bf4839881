package dev.trainyard.backend.bench;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's read path at scale (issue 4): with 100,000 runs and 10,000 checkpoints seeded by
 * {@code bench/dashboard-seed.sql}, the first page of the runs list, unfiltered, filtered and
 * searched, timed through the HTTP API ({@value #SAMPLES} sequential requests after {@value
 * #WARMUP} warm-up), side by side with the same SQL run directly over JDBC (the floor the API
 * cannot beat), plus the 500-node lineage walk. Goal: API p99 &lt; 50 ms. Not part of the test
 * suite: run it with {@code ./mvnw -B -o test -pl backend -am -Dtest=DashboardBenchmark
 * -Dtests.excludedGroups=none -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@Tag("benchmark")
class DashboardBenchmark {
  static final int SAMPLES = Integer.getInteger("dashboard.samples", 500);
  static final int WARMUP = 100;
  static final int PAGE = 100; // what the runs page asks for first

  @Inject AgroalDataSource db;

  @TestHTTPResource("/")
  URI base;

  /**
   * A plain JDK client times the round trip; RestAssured's own per-request work would dominate it.
   */
  final HttpClient http = HttpClient.newHttpClient();

  /** A first page as the dashboard asks for it, and the SQL Hibernate runs for it. */
  record Scenario(String name, Map<String, Object> query, String where, List<Object> args) {}

  @Test
  void firstPageOfTheRunsListAndA500NodeLineageAtScale() throws Exception {
    Api.signIn();
    long seedStart = System.nanoTime();
    // As the tables' owner: only it may ANALYZE them (the application's role has ordinary grants).
    try (Connection c = PostgresTestResource.ownerConnection();
        Statement s = c.createStatement()) {
      s.execute(
          new String(
              getClass().getResourceAsStream("/bench/dashboard-seed.sql").readAllBytes(),
              StandardCharsets.UTF_8));
    }
    double seedSeconds = (System.nanoTime() - seedStart) / 1e9;
    long runs = count("SELECT count(*) FROM run");
    long checkpoints = count("SELECT count(*) FROM artifact WHERE type = 'checkpoint'");
    long steps = count("SELECT count(*) FROM step");
    long attempts = count("SELECT count(*) FROM step_attempt");
    long edges = count("SELECT count(*) FROM lineage_edge");
    String lastMonth = java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(30).toString();

    String cols =
        "SELECT id, template_name, template_version, status, created_at, started_at, finished_at, launched_by FROM run ";
    String prefix = " (id LIKE ? OR lower(template_name) LIKE ? OR lower(launched_by) LIKE ?)";
    List<Scenario> scenarios =
        List.of(
            new Scenario("unfiltered", Map.of(), "", List.of()),
            new Scenario(
                "status=FAILED", Map.of("status", "FAILED"), "WHERE status = ?", List.of("FAILED")),
            new Scenario(
                "launchedBy=user7",
                Map.of("launchedBy", "user7"),
                "WHERE launched_by = ?",
                List.of("user7")),
            new Scenario(
                "team=team-3&createdFrom=<30 days ago>",
                Map.of("team", "team-3", "createdFrom", lastMonth),
                "WHERE team = ? AND created_at >= ?::date",
                List.of("team-3", lastMonth)),
            new Scenario(
                "q=user1 (launcher prefix, 11 launchers)",
                Map.of("q", "user1"),
                "WHERE" + prefix,
                List.of("user1%", "user1%", "user1%")),
            new Scenario(
                "q=bench-dp (template prefix)",
                Map.of("q", "bench-dp"),
                "WHERE" + prefix,
                List.of("bench-dp%", "bench-dp%", "bench-dp%")),
            new Scenario(
                "q=<id of one run>",
                Map.of("q", firstId()),
                "WHERE" + prefix,
                List.of(firstId() + "%", firstId() + "%", firstId() + "%")),
            new Scenario(
                "q=run- (matches every run)",
                Map.of("q", "run-"),
                "WHERE" + prefix,
                List.of("run-%", "run-%", "run-%")));

    StringBuilder table = new StringBuilder();
    for (Scenario sc : scenarios) {
      List<Long> api = new ArrayList<>();
      List<Long> sql = new ArrayList<>();
      StringBuilder qs = new StringBuilder("limit=" + PAGE);
      sc.query()
          .forEach(
              (k, v) ->
                  qs.append('&')
                      .append(k)
                      .append('=')
                      .append(URLEncoder.encode(v.toString(), StandardCharsets.UTF_8)));
      HttpRequest.Builder request =
          HttpRequest.newBuilder(base.resolve("/api/v1/runs?" + qs))
              .header("Authorization", "Bearer " + Api.LOCAL_TOKEN);
      for (int i = 0; i < WARMUP + SAMPLES; i++) {
        long t0 = System.nanoTime();
        HttpResponse<String> res = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        long t1 = System.nanoTime();
        assertThat(res.statusCode()).isEqualTo(200);
        int n = res.body().split("\"id\":", -1).length - 1;
        int m =
            rawPage(
                cols + sc.where() + " ORDER BY created_at DESC, id DESC LIMIT " + (PAGE + 1),
                sc.args());
        long t2 = System.nanoTime();
        assertThat(m).isGreaterThanOrEqualTo(n);
        if (i >= WARMUP) {
          api.add(t1 - t0);
          sql.add(t2 - t1);
        }
      }
      table.append(
          String.format(
              "  %-42s API p50=%6.2f p95=%6.2f p99=%6.2f max=%6.2f ms | SQL p50=%6.2f p99=%6.2f ms%n",
              sc.name(),
              pct(api, 50),
              pct(api, 95),
              pct(api, 99),
              pct(api, 100),
              pct(sql, 50),
              pct(sql, 99)));
      table
          .append("      plan: ")
          .append(
              plan(
                  cols + sc.where() + " ORDER BY created_at DESC, id DESC LIMIT " + (PAGE + 1),
                  sc.args()))
          .append('\n');
    }

    List<Long> lineage = new ArrayList<>();
    int nodes = 0;
    nodes =
        given()
            .queryParam("direction", "descendants")
            .get("/api/v1/artifacts/bench-lineage-root/lineage")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("nodes")
            .size();
    HttpRequest walk =
        HttpRequest.newBuilder(
                base.resolve("/api/v1/artifacts/bench-lineage-root/lineage?direction=descendants"))
            .header("Authorization", "Bearer " + Api.LOCAL_TOKEN)
            .build();
    for (int i = 0; i < 20 + 100; i++) {
      long t0 = System.nanoTime();
      assertThat(http.send(walk, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      if (i >= 20) {
        lineage.add(System.nanoTime() - t0);
      }
    }

    String report =
        String.format(
            """
        cpus=%d, seeded in %.1f s: runs=%d steps=%d attempts=%d checkpoints=%d lineage edges=%d
        first page (limit=%d), %d sequential requests each after %d warm-up; API = HTTP round trip (JDK client, body read), SQL = same query over JDBC
        %s
        lineage descendants of bench-lineage-root: %d nodes, p50=%.1f ms p99=%.1f ms (100 requests)
        """,
            Runtime.getRuntime().availableProcessors(),
            seedSeconds,
            runs,
            steps,
            attempts,
            checkpoints,
            edges,
            PAGE,
            SAMPLES,
            WARMUP,
            table.toString().stripTrailing(),
            nodes,
            pct(lineage, 50),
            pct(lineage, 99));
    System.out.println("=== dashboard benchmark ===\n" + report);
    Files.createDirectories(Path.of("target/benchmarks"));
    Files.writeString(Path.of("target/benchmarks/dashboard.txt"), report);
    assertThat(runs).isGreaterThanOrEqualTo(100_000);
    assertThat(checkpoints).isEqualTo(10_000);
    assertThat(nodes).isEqualTo(500);
  }

  private String firstId() throws Exception {
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT id FROM run WHERE template_name LIKE 'bench-%' ORDER BY created_at DESC LIMIT 1")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private int rawPage(String sql, List<Object> args) throws Exception {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      int n = 0;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          n++;
        }
      }
      return n;
    }
  }

  /** The plan's index lines, to see which index serves a scenario. */
  private String plan(String sql, List<Object> args) throws Exception {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("EXPLAIN " + sql)) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      List<String> lines = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String line = rs.getString(1).strip();
          if (line.contains("Scan") || line.contains("Sort")) {
            lines.add(line.replaceAll("\\s*\\(cost=.*", "").replaceFirst("^->\\s*", ""));
          }
        }
      }
      return String.join(" > ", lines);
    }
  }

  private long count(String sql) throws Exception {
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static double pct(Collection<Long> nanos, int p) {
    List<Long> sorted = nanos.stream().sorted().toList();
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, index)) / 1e6;
  }
}
