package dev.trainyard.backend.schedules;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import dev.trainyard.backend.runs.RunService;
import dev.trainyard.backend.security.Caller;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Schedules on the real backend: PostgreSQL, the embedded Temporal service and worker. Per-second
 * expressions fire real runs of a one-step template within the test.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class SchedulesTest {
  @Inject EntityManager em;
  @Inject DatabaseScheduleEngine engine;
  @Inject RunService runs;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  /** A test that failed half-way leaves no schedule firing into the tests after it. */
  @AfterEach
  void pauseEverySchedule() {
    QuarkusTransaction.requiringNew()
        .run(() -> em.createNativeQuery("UPDATE schedule SET paused = true").executeUpdate());
  }

  /** The cheapest template there is: one command step writing one small file. */
  private static String tinyTemplate(String name) {
    Api.createTemplate(
        "apiVersion: trainyard/v1\n"
            + "kind: Pipeline\n"
            + "name: "
            + name
            + "\n"
            + "params:\n"
            + "  note: {type: string, default: \"tick\"}\n"
            + "  size: {type: int, default: 1}\n"
            + "steps:\n"
            + "  - id: only\n"
            + "    kind: command\n"
            + "    run: printf '%s\\n' \"$TRAINYARD_PARAM_NOTE\" > \"$TRAINYARD_OUTPUT/note.txt\"\n");
    return name;
  }

  private static JsonPath create(String template, Map<String, Object> body) {
    return given()
        .contentType(ContentType.JSON)
        .body(body)
        .post("/api/v1/templates/" + template + "/schedules")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath();
  }

  private static JsonPath ticks(String template, String id) {
    return given()
        .get("/api/v1/templates/" + template + "/schedules/" + id + "/ticks?limit=1000")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath();
  }

  private static void pause(String template, String id) {
    given()
        .post("/api/v1/templates/" + template + "/schedules/" + id + "/pause")
        .then()
        .statusCode(200);
  }

  /** Waits until no tick of the schedule is left launching or buffered, and answers them. */
  private static List<Map<String, Object>> settledTicks(String template, String id) {
    List<List<Map<String, Object>>> settled = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              List<Map<String, Object>> now = ticks(template, id).getList("items");
              boolean done =
                  now.stream()
                      .noneMatch(
                          t ->
                              t.get("status").equals("PENDING")
                                  || t.get("status").equals("BUFFERED"));
              if (done) {
                settled.add(now);
              }
              return done;
            });
    return settled.get(0);
  }

  private long runsLaunchedBy(String scheduleId) {
    return QuarkusTransaction.requiringNew()
        .call(
            () ->
                ((Number)
                        em.createNativeQuery("SELECT count(*) FROM run WHERE launched_by = ?1")
                            .setParameter(1, TickLauncher.actor(scheduleId))
                            .getSingleResult())
                    .longValue());
  }

  @Test
  void aPerSecondScheduleFiresARealRunPausesAndResumesAndEachIsAudited() {
    String template = tinyTemplate("sched-fires");
    JsonPath schedule =
        create(
            template,
            Map.of(
                "cron", "* * * * * *",
                "timeZone", "Europe/Berlin",
                "params", Map.of("note", "from a schedule"),
                "overlapPolicy", "SKIP"));
    String id = schedule.getString("id");
    assertThat(schedule.getString("overlapPolicy")).isEqualTo("SKIP");
    assertThat(schedule.getLong("catchupWindowSeconds")).isEqualTo(3600);
    assertThat(schedule.getString("nextTickAt")).isNotNull();

    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> ticks(template, id).getList("items.runId").stream().anyMatch(r -> r != null));
    String runId =
        ticks(template, id).<String>getList("items.runId").stream()
            .filter(r -> r != null)
            .reduce((a, b) -> b)
            .orElseThrow();
    JsonPath run = Api.awaitStatus(runId, Set.of("SUCCEEDED", "FAILED"), Duration.ofSeconds(60));
    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(run.getString("launchedBy")).isEqualTo("schedule:" + id);
    assertThat(run.getString("template")).isEqualTo(template);
    assertThat(run.getMap("params")).containsEntry("note", "from a schedule");

    pause(template, id);
    // While its run is live, SKIP records the ticks it did not launch, with the reason.
    List<Map<String, Object>> all = settledTicks(template, id);
    assertThat(all).allSatisfy(t -> assertThat(t.get("status")).isIn("FIRED", "SKIPPED"));
    assertThat(all)
        .filteredOn(t -> t.get("status").equals("SKIPPED"))
        .allSatisfy(t -> assertThat((String) t.get("reason")).contains("still live"));
    assertThat(
            given()
                .get("/api/v1/templates/" + template + "/schedules/" + id)
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getBoolean("paused"))
        .isTrue();
    int afterPause = settledTicks(template, id).size();
    sleep(2500);
    assertThat(ticks(template, id).getList("items")).hasSize(afterPause);

    given()
        .post("/api/v1/templates/" + template + "/schedules/" + id + "/resume")
        .then()
        .statusCode(200);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> ticks(template, id).getList("items").size() > afterPause);
    pause(template, id);

    // Filtered, since the whole suite's audit log is longer than a page: this schedule's pause and
    // resume requests, and the fires done as its actor.
    List<String> actions = new ArrayList<>();
    List<String> targets = new ArrayList<>();
    for (Map<String, String> filter :
        List.of(Map.of("action", "/schedules/{id}/"), Map.of("actor", "schedule:" + id))) {
      JsonPath audit =
          given()
              .queryParams(filter)
              .queryParam("limit", 1000)
              .get("/api/v1/audit")
              .then()
              .statusCode(200)
              .extract()
              .jsonPath();
      actions.addAll(audit.getList("items.action"));
      targets.addAll(audit.getList("items.target"));
    }
    String path = "/api/v1/templates/" + template + "/schedules/" + id;
    assertThat(actions)
        .contains(
            "POST /api/v1/templates/{name}/schedules/{id}/pause",
            "POST /api/v1/templates/{name}/schedules/{id}/resume",
            "SCHEDULE FIRE");
    assertThat(targets).contains(path + "/pause", path + "/resume", "/api/v1/runs/" + runId);
  }

  @Test
  void aBadExpressionZonePolicyWindowAndParametersAreAll422WithTheirPathsAndNothingIsSaved() {
    String template = tinyTemplate("sched-invalid");
    Map<String, Object> body = new HashMap<>();
    body.put("cron", "61 * * * *");
    body.put("timeZone", "Mars/Olympus_Mons");
    body.put("overlapPolicy", "sometimes");
    body.put("catchupWindowSeconds", -5);
    body.put("params", Map.of("size", "large", "unknown", 1));
    JsonPath problem =
        given()
            .contentType(ContentType.JSON)
            .body(body)
            .post("/api/v1/templates/" + template + "/schedules")
            .then()
            .statusCode(422)
            .extract()
            .jsonPath();
    assertThat(problem.<String>getList("errors.path"))
        .contains(
            "cron",
            "timeZone",
            "overlapPolicy",
            "catchupWindowSeconds",
            "params.size",
            "params.unknown");
    assertThat(
            given()
                .get("/api/v1/templates/" + template + "/schedules")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getList("items"))
        .isEmpty();
    // A version that does not exist, and a template that does not: the path, or 404.
    Map<String, Object> badVersion =
        Map.of("cron", "0 3 * * *", "timeZone", "UTC", "templateVersion", 9);
    given()
        .contentType(ContentType.JSON)
        .body(badVersion)
        .post("/api/v1/templates/" + template + "/schedules")
        .then()
        .statusCode(422)
        .body("errors[0].path", org.hamcrest.Matchers.equalTo("templateVersion"));
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("cron", "0 3 * * *", "timeZone", "UTC"))
        .post("/api/v1/templates/no-such-template/schedules")
        .then()
        .statusCode(404);
  }

  @Test
  void aScheduleIsReplacedAndDeletedAndItsRunsStay() {
    String template = tinyTemplate("sched-crud");
    String id =
        create(template, Map.of("cron", "0 3 * * *", "timeZone", "America/New_York"))
            .getString("id");
    JsonPath replaced =
        given()
            .contentType(ContentType.JSON)
            .body(
                Map.of(
                    "cron",
                    "15 4 * * 1-5",
                    "timeZone",
                    "Asia/Tokyo",
                    "overlapPolicy",
                    "buffer_one",
                    "catchupWindowSeconds",
                    0))
            .put("/api/v1/templates/" + template + "/schedules/" + id)
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(replaced.getString("cron")).isEqualTo("15 4 * * 1-5");
    assertThat(replaced.getString("overlapPolicy")).isEqualTo("BUFFER_ONE");
    // 04:15 in Tokyo is 19:15 UTC the day before.
    assertThat(replaced.getString("nextTickAt")).endsWith("T19:15:00Z");
    assertThat(
            given()
                .get("/api/v1/templates/" + template + "/schedules")
                .then()
                .extract()
                .jsonPath()
                .<String>getList("items.id"))
        .containsExactly(id);
    given().delete("/api/v1/templates/" + template + "/schedules/" + id).then().statusCode(204);
    given().get("/api/v1/templates/" + template + "/schedules/" + id).then().statusCode(404);
    // Another template's path does not reach it either.
    given().get("/api/v1/templates/hello/schedules/" + id).then().statusCode(404);
  }

  @Test
  void afterDowntimeTicksInsideTheCatchUpWindowFireAndOlderOnesAreRecordedSkipped() {
    String template = tinyTemplate("sched-catchup");
    String id =
        create(
                template,
                Map.of(
                    "cron", "* * * * *",
                    "timeZone", "UTC",
                    "overlapPolicy", "ALLOW",
                    "catchupWindowSeconds", 150,
                    "paused", true))
            .getString("id");
    // As if no backend had fired it for ten minutes: the cursor at a minute ten minutes ago.
    Instant cursor = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(10));
    QuarkusTransaction.requiringNew()
        .run(
            () ->
                em.createNativeQuery(
                        "UPDATE schedule SET paused = false, next_tick_at = ?2 WHERE id = ?1")
                    .setParameter(1, id)
                    .setParameter(2, cursor.atOffset(java.time.ZoneOffset.UTC))
                    .executeUpdate());
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> ticks(template, id).getList("items").size() >= 10);
    pause(template, id);
    List<Map<String, Object>> ticks = settledTicks(template, id);
    for (Map<String, Object> t : ticks) {
      Instant at = Instant.parse((String) t.get("tickAt"));
      if (at.isBefore(cursor.plus(Duration.ofMinutes(7)))) {
        assertThat(t.get("status")).as("tick %s", at).isEqualTo("SKIPPED");
        assertThat((String) t.get("reason")).contains("catch-up window (150 s)");
      } else if (at.isAfter(cursor.plus(Duration.ofMinutes(8)))) {
        assertThat(t.get("status")).as("tick %s", at).isEqualTo("FIRED");
        assertThat(t.get("runId")).isNotNull();
      }
    }
    long fired = ticks.stream().filter(t -> t.get("status").equals("FIRED")).count();
    assertThat(fired).isBetween(2L, 4L);
    assertThat(runsLaunchedBy(id)).isEqualTo(fired);
  }

  @Test
  void aTickLaunchedByAHolderThatDiedBeforeRecordingItIsNotLaunchedAgain() {
    String template = tinyTemplate("sched-crash");
    String id =
        create(template, Map.of("cron", "0 3 1 1 *", "timeZone", "UTC", "paused", true))
            .getString("id");
    Instant tick = Instant.parse("2026-01-01T03:00:00Z");
    // The dead holder's state: the tick decided (PENDING) and its run launched, not recorded.
    QuarkusTransaction.requiringNew()
        .run(
            () ->
                em.createNativeQuery(
                        "INSERT INTO schedule_tick (schedule_id, tick_at, status, params)"
                            + " VALUES (?1, ?2, 'PENDING', '{}')")
                    .setParameter(1, id)
                    .setParameter(2, tick.atOffset(java.time.ZoneOffset.UTC))
                    .executeUpdate());
    Caller asSchedule =
        new Caller(TickLauncher.actor(id), Set.of(Caller.OPERATOR), Set.of("default"));
    String first =
        runs.launch(asSchedule, template, null, Map.of(), Tick.idempotencyKey(id, tick)).run().id;

    // The next holder finds the PENDING tick and launches it again: it gets the same run back.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> "FIRED".equals(ticks(template, id).getString("items[0].status")));
    assertThat(ticks(template, id).getString("items[0].runId")).isEqualTo(first);
    assertThat(runsLaunchedBy(id)).isEqualTo(1);
  }

  @Test
  void contendersRacingForTheLeaseOnOneDatabaseLaunchEachTickExactlyOnce() throws Exception {
    String template = tinyTemplate("sched-race");
    // Contender "b" cannot take the lease this process holds and renews.
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.leaseOwner().isPresent());
    assertThat(engine.pass("contender-b", Instant.now())).isFalse();

    String id =
        create(template, Map.of("cron", "* * * * * *", "timeZone", "UTC", "overlapPolicy", "ALLOW"))
            .getString("id");
    // Three more contenders poll as fast as they can while the lease is expired under them every
    // 150 ms, so it changes hands between this process and them all the time.
    List<String> contenders = List.of("contender-b", "contender-c", "contender-d");
    ExecutorService pool = Executors.newFixedThreadPool(contenders.size() + 1);
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    Set<String> holders = java.util.concurrent.ConcurrentHashMap.newKeySet();
    List<Future<?>> racing = new ArrayList<>();
    for (String c : contenders) {
      racing.add(
          pool.submit(
              () -> {
                while (System.nanoTime() < until) {
                  if (engine.pass(c, Instant.now())) {
                    holders.add(c);
                  }
                  sleep(20);
                }
              }));
    }
    racing.add(
        pool.submit(
            () -> {
              while (System.nanoTime() < until) {
                QuarkusTransaction.requiringNew()
                    .run(
                        () ->
                            em.createNativeQuery(
                                    "UPDATE scheduler_lease SET expires_at = '-infinity'")
                                .executeUpdate());
                sleep(150);
              }
            }));
    for (Future<?> f : racing) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    pause(template, id);
    // Launch what was decided but not yet launched, then compare.
    engine.pass("contender-b", Instant.now().plusSeconds(60));
    List<Map<String, Object>> ticks = settledTicks(template, id);

    assertThat(holders).as("the lease changed hands").isNotEmpty();
    List<Instant> at = ticks.stream().map(t -> Instant.parse((String) t.get("tickAt"))).toList();
    assertThat(at).doesNotHaveDuplicates();
    assertThat(at.size()).isGreaterThanOrEqualTo(4);
    // Every second from the first tick to the last has its tick: none lost in a handover.
    assertThat(Duration.between(at.get(at.size() - 1), at.get(0)).toSeconds())
        .isEqualTo(at.size() - 1);
    assertThat(ticks).allSatisfy(t -> assertThat(t.get("status")).isEqualTo("FIRED"));
    List<String> runIds = ticks.stream().map(t -> (String) t.get("runId")).toList();
    assertThat(new HashSet<>(runIds)).hasSize(ticks.size());
    assertThat(runsLaunchedBy(id)).isEqualTo(ticks.size());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
