package dev.trainyard.backend.webhooks;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.trainyard.backend.PostgresTestResource;
import dev.trainyard.backend.api.Api;
import dev.trainyard.backend.catalog.Aliases;
import dev.trainyard.backend.events.DomainEvents;
import dev.trainyard.backend.events.OutboxRelay;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Outgoing webhooks end to end: events written with the change, fanned out by the relay, signed and
 * sent by the background sender to a real HTTP receiver, retried, logged and redelivered.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class WebhookDeliveryTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Inject Aliases aliases;
  @Inject DomainEvents domainEvents;
  @Inject OutboxRelay relay;
  @Inject WebhookSender sender;
  @Inject EntityManager em;

  @BeforeEach
  void signIn() {
    Api.signIn();
  }

  private final List<String> subscriptions = new ArrayList<>();

  /** Subscriptions outlive their receivers otherwise: the next test class's events would go on. */
  @org.junit.jupiter.api.AfterEach
  void unsubscribe() {
    for (String id : subscriptions) {
      given().delete("/api/v1/webhooks/" + id).then().statusCode(204);
      given().get("/api/v1/webhooks/" + id).then().statusCode(404);
    }
  }

  /** Subscribes the receiver; returns the creation answer (with the secret). */
  private JsonPath subscribe(String url, String team, String... events) {
    JsonPath created =
        given()
            .contentType(ContentType.JSON)
            .body(Map.of("url", url, "events", List.of(events), "team", team))
            .post("/api/v1/webhooks")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath();
    subscriptions.add(created.getString("id"));
    return created;
  }

  private static List<Map<String, Object>> deliveries(String subscription) {
    return given()
        .get("/api/v1/webhooks/" + subscription + "/deliveries")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("items");
  }

  @Test
  void aRunEndIsSignedAsStandardWebhooksSaysAndA500IsRetriedThenSucceedsWithBothAttemptsLogged()
      throws Exception {
    // The receiver fails the first run.ended with a 500 and accepts everything else.
    try (Receiver receiver =
        new Receiver(r -> r.type().equals("run.ended") && FAILED_ONCE.add(r.id()) ? 500 : 204)) {
      JsonPath created = subscribe(receiver.url(), "default", "run.ended", "step.*");
      String subscription = created.getString("id");
      String secret = created.getString("secret");
      assertThat(secret).startsWith("whsec_");
      assertThat(given().get("/api/v1/webhooks/" + subscription).asString()).doesNotContain(secret);
      assertThat(given().get("/api/v1/webhooks").asString()).doesNotContain(secret);

      // The cheapest real run: one approval step, approved through the API.
      String template = "hooked-" + UUID.randomUUID().toString().substring(0, 8);
      Api.createTemplate(
          """
          apiVersion: trainyard/v1
          kind: Pipeline
          name: %s
          steps:
            - id: gate
              kind: approval
          """
              .formatted(template));
      String runId = Api.launch(template, Map.of()).getString("id");
      Api.awaitStepStatus(runId, "gate", "WAITING_APPROVAL", WAIT);
      given().post("/api/v1/runs/" + runId + "/steps/gate/approve").then().statusCode(202);
      Api.awaitStatus(runId, Set.of("SUCCEEDED"), WAIT);

      await().atMost(WAIT).until(() -> receiver.ofType("run.ended").size() >= 2);
      List<Receiver.Received> runEnded = receiver.ofType("run.ended");
      assertThat(runEnded).extracting(Receiver.Received::answered).containsExactly(500, 204);
      for (Receiver.Received r : runEnded) {
        assertThat(StandardWebhooksVerifier.verify(secret, r.headers(), r.body()))
            .as("signature of %s", r.headers())
            .isTrue();
        assertThat(r.headers().get("content-type")).isEqualTo("application/json");
        assertThat(r.json().getString("data.run.id")).isEqualTo(runId);
        assertThat(r.json().getString("data.run.status")).isEqualTo("SUCCEEDED");
        assertThat(r.json().getString("data.run.template")).isEqualTo(template);
      }
      // A retry is the same message: the same webhook-id, which receivers deduplicate on.
      assertThat(runEnded.get(1).id()).isEqualTo(runEnded.get(0).id()).startsWith("evt_");
      // A tampered body or another secret does not verify.
      assertThat(
              StandardWebhooksVerifier.verify(
                  secret, runEnded.get(1).headers(), "{\"type\":\"run.ended\"}".getBytes()))
          .isFalse();
      assertThat(
              StandardWebhooksVerifier.verify(
                  Signatures.newSecret(), runEnded.get(1).headers(), runEnded.get(1).body()))
          .isFalse();

      await().atMost(WAIT).until(() -> receiver.ofType("step.ended").size() == 1);
      JsonPath step = receiver.ofType("step.ended").get(0).json();
      assertThat(step.getString("data.step.id")).isEqualTo("gate");
      assertThat(step.getString("data.step.status")).isEqualTo("SUCCEEDED");
      assertThat(receiver.ofType("run.started")).as("not subscribed").isEmpty();

      // The delivery log: both attempts with what the receiver answered, and the outcome.
      Map<String, Object> delivery =
          deliveries(subscription).stream()
              .filter(d -> d.get("eventType").equals("run.ended"))
              .findFirst()
              .orElseThrow();
      assertThat(delivery.get("status")).isEqualTo("SUCCEEDED");
      assertThat(delivery.get("eventId")).isEqualTo(runEnded.get(0).id());
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> attempts = (List<Map<String, Object>>) delivery.get("attempts");
      assertThat(attempts).extracting(a -> a.get("responseStatus")).containsExactly(500, 204);
      assertThat(attempts).extracting(a -> a.get("attempt")).containsExactly(1, 2);
      assertThat(attempts.get(0).get("responseBody")).isEqualTo("answered 500");
      assertThat(attempts)
          .allSatisfy(a -> assertThat((Integer) a.get("durationMs")).isNotNegative());

      // Manual redelivery: a new delivery of the same event, the same webhook-id again.
      long deliveryId = ((Number) delivery.get("id")).longValue();
      long again =
          given()
              .post("/api/v1/webhooks/" + subscription + "/deliveries/" + deliveryId + "/redeliver")
              .then()
              .statusCode(202)
              .extract()
              .jsonPath()
              .getLong("deliveryId");
      await().atMost(WAIT).until(() -> receiver.ofType("run.ended").size() == 3);
      Receiver.Received redelivered = receiver.ofType("run.ended").get(2);
      assertThat(redelivered.id()).isEqualTo(runEnded.get(0).id());
      assertThat(StandardWebhooksVerifier.verify(secret, redelivered.headers(), redelivered.body()))
          .isTrue();
      await()
          .atMost(WAIT)
          .until(
              () ->
                  deliveries(subscription).stream()
                      .anyMatch(
                          d ->
                              ((Number) d.get("id")).longValue() == again
                                  && d.get("status").equals("SUCCEEDED")
                                  && ((Number) d.get("redeliveryOf")).longValue() == deliveryId));
    }
  }

  /** The events the retrying receiver has failed once already. */
  private static final Set<String> FAILED_ONCE = java.util.concurrent.ConcurrentHashMap.newKeySet();

  @Test
  void aSubscriptionOfTeamANeverReceivesTeamBsEvents() throws Exception {
    try (Receiver a = new Receiver(r -> 204);
        Receiver b = new Receiver(r -> 204)) {
      String subA = subscribe(a.url(), "team-a", "*").getString("id");
      subscribe(b.url(), "team-b", "*");
      String name = "hooks-b-" + UUID.randomUUID().toString().substring(0, 8);
      String datasetId = register(name, "team-b");

      await().atMost(WAIT).until(() -> b.ofType("dataset.version.registered").size() == 1);
      JsonPath event = b.ofType("dataset.version.registered").get(0).json();
      assertThat(event.getString("data.dataset.id")).isEqualTo(datasetId);
      assertThat(event.getString("data.dataset.name")).isEqualTo(name);
      assertThat(event.getInt("data.dataset.version")).isEqualTo(1);
      assertThat(event.getString("data.dataset.team")).isEqualTo("team-b");

      // Every event is dispatched by now and none of them reached team-a's receiver or log.
      await().atMost(WAIT).until(() -> undispatched() == 0);
      assertThat(a.received).isEmpty();
      assertThat(deliveries(subA)).isEmpty();
    }
  }

  @Test
  void aRolledBackAliasMoveHasNoEventAndACommittedOneHasExactlyOne() throws Exception {
    String target =
        register("hooks-alias-" + UUID.randomUUID().toString().substring(0, 8), "default");
    String rolledBack = "rolled-" + UUID.randomUUID().toString().substring(0, 8);
    assertThatThrownBy(
            () ->
                QuarkusTransaction.requiringNew()
                    .run(
                        () -> {
                          aliases.move(rolledBack, target, "test");
                          throw new IllegalStateException("the change fails after the move");
                        }))
        .hasMessageContaining("the change fails");
    assertThat(aliasEvents(rolledBack)).isEmpty();

    String committed = "kept-" + UUID.randomUUID().toString().substring(0, 8);
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("artifact", target))
        .put("/api/v1/aliases/" + committed)
        .then()
        .statusCode(200);
    assertThat(aliasEvents(committed))
        .hasSize(1)
        .allSatisfy(id -> assertThat(id).startsWith("evt_"));

    // Without the change's transaction there is nothing to write an event into: refused.
    assertThatThrownBy(() -> domainEvents.aliasMoved(committed, target, null, "test"))
        .isInstanceOf(jakarta.transaction.TransactionalException.class);
  }

  @Test
  void aUrlThatIsNotHttpOrAFilterNamingNoEventIsRefusedWithThePathOfEachProblem() {
    int before = given().get("/api/v1/webhooks").jsonPath().getList("items").size();
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("url", "file:///etc/passwd", "events", List.of("run.ended", "run.ednded")))
        .post("/api/v1/webhooks")
        .then()
        .statusCode(422)
        .body("errors.path", org.hamcrest.Matchers.containsInAnyOrder("url", "events[1]"));
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("url", "gopher://127.0.0.1:6379/", "events", List.of()))
        .post("/api/v1/webhooks")
        .then()
        .statusCode(422)
        .body("errors.path", org.hamcrest.Matchers.containsInAnyOrder("url", "events"));
    assertThat(given().get("/api/v1/webhooks").jsonPath().getList("items")).hasSize(before);
    given().get("/api/v1/webhooks/wh_nosuch/deliveries").then().statusCode(404);
    given().delete("/api/v1/webhooks/wh_nosuch").then().statusCode(404);
  }

  @Test
  void sendersAndRelaysRacingEachOtherSendEveryEventExactlyOnce() throws Exception {
    try (Receiver receiver = new Receiver(r -> 204)) {
      String target =
          register("hooks-race-" + UUID.randomUUID().toString().substring(0, 8), "default");
      subscribe(receiver.url(), "default", "alias.moved");
      String alias = "race-" + UUID.randomUUID().toString().substring(0, 8);
      int moves = 12;
      // Two more relays and senders, as other replicas would be, beside the app's own.
      ExecutorService replicas = Executors.newFixedThreadPool(4);
      List<Future<?>> running = new ArrayList<>();
      java.util.concurrent.atomic.AtomicBoolean stop =
          new java.util.concurrent.atomic.AtomicBoolean();
      for (int i = 0; i < 2; i++) {
        running.add(
            replicas.submit(
                () -> {
                  while (!stop.get()) {
                    relay.relayOnce();
                    pause();
                  }
                }));
        running.add(
            replicas.submit(
                () -> {
                  while (!stop.get()) {
                    sender.sendDue();
                    pause();
                  }
                }));
      }
      try {
        for (int i = 0; i < moves; i++) {
          given()
              .contentType(ContentType.JSON)
              .body(Map.of("artifact", target))
              .put("/api/v1/aliases/" + alias)
              .then()
              .statusCode(200);
        }
        await().atMost(WAIT).until(() -> receiver.ofType("alias.moved").size() >= moves);
        await().atMost(WAIT).until(() -> undispatched() == 0);
        Thread.sleep(500); // time for a duplicate to show up, were there one
      } finally {
        stop.set(true);
        for (Future<?> f : running) {
          f.get();
        }
        replicas.shutdown();
      }
      List<Receiver.Received> got = receiver.ofType("alias.moved");
      assertThat(got).hasSize(moves);
      assertThat(got.stream().map(Receiver.Received::id).distinct()).hasSize(moves);
      assertThat(aliasEvents(alias)).hasSize(moves);
    }
  }

  @Test
  void aReceiverThatHangsTimesOutWithoutHoldingUpTheChangeAndIsRetried() throws Exception {
    java.util.concurrent.atomic.AtomicInteger calls =
        new java.util.concurrent.atomic.AtomicInteger();
    try (Receiver receiver =
        new Receiver(
            r -> {
              if (calls.incrementAndGet() == 1) {
                pauseFor(Duration.ofSeconds(5)); // past the test's 2 s timeout
              }
              return 204;
            })) {
      String target =
          register("hooks-hang-" + UUID.randomUUID().toString().substring(0, 8), "default");
      String subscription = subscribe(receiver.url(), "default", "alias.moved").getString("id");
      long started = System.nanoTime();
      given()
          .contentType(ContentType.JSON)
          .body(Map.of("artifact", target))
          .put("/api/v1/aliases/hang-" + UUID.randomUUID().toString().substring(0, 8))
          .then()
          .statusCode(200);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));

      await()
          .atMost(WAIT)
          .until(
              () ->
                  deliveries(subscription).stream()
                      .anyMatch(d -> d.get("status").equals("SUCCEEDED")));
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> attempts =
          (List<Map<String, Object>>) deliveries(subscription).get(0).get("attempts");
      assertThat(attempts).hasSize(2);
      assertThat(attempts.get(0).get("responseStatus")).isNull();
      assertThat(attempts.get(0).get("error")).isEqualTo("timed out after 2000 ms");
      assertThat((Integer) attempts.get(0).get("durationMs")).isBetween(1900, 4000);
      assertThat(attempts.get(1).get("responseStatus")).isEqualTo(204);
    }
  }

  private static void pauseFor(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void pause() {
    try {
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private long undispatched() {
    return QuarkusTransaction.requiringNew()
        .call(
            () ->
                ((Number)
                        em.createNativeQuery(
                                "SELECT count(*) FROM domain_event WHERE dispatched_at IS NULL")
                            .getSingleResult())
                    .longValue());
  }

  @SuppressWarnings("unchecked")
  private List<String> aliasEvents(String alias) {
    return QuarkusTransaction.requiringNew()
        .call(
            () ->
                em.createNativeQuery(
                        "SELECT id FROM domain_event WHERE type = 'alias.moved' "
                            + "AND data -> 'alias' ->> 'name' = ?1")
                    .setParameter(1, alias)
                    .getResultList());
  }

  /** Registers a one-record dataset of unique content; returns its id. */
  static String register(String name, String team) throws Exception {
    Path file = Files.createTempFile("hooks", ".jsonl");
    Files.writeString(file, "{\"text\": \"" + UUID.randomUUID() + "\"}\n");
    return given()
        .contentType(ContentType.JSON)
        .body(Map.of("name", name, "uri", file.toUri().toString(), "team", team))
        .post("/api/v1/datasets")
        .then()
        .statusCode(201)
        .extract()
        .path("id");
  }
}
