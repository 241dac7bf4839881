package dev.trainyard.backend.webhooks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.webhooks.Webhooks.Attempt;
import dev.trainyard.backend.webhooks.Webhooks.Delivery;
import dev.trainyard.backend.webhooks.Webhooks.Subscription;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The SQL of subscriptions, deliveries and attempts. Callers bring the transaction. */
@ApplicationScoped
public class WebhookRepository {
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private static final String SUBSCRIPTION_COLUMNS =
      "id, team, url, CAST(event_types AS text), description, created_at, created_by";

  @Inject EntityManager em;
  @Inject ObjectMapper json;

  public void insertSubscription(Subscription s, String secret) {
    em.createNativeQuery(
            "INSERT INTO webhook_subscription (id, team, url, event_types, secret, description, created_by) "
                + "VALUES (?1, ?2, ?3, CAST(?4 AS jsonb), ?5, ?6, ?7)")
        .setParameter(1, s.id())
        .setParameter(2, s.team())
        .setParameter(3, s.url())
        .setParameter(4, toJson(s.events()))
        .setParameter(5, secret)
        .setParameter(6, s.description())
        .setParameter(7, s.createdBy())
        .executeUpdate();
  }

  public Optional<Subscription> subscription(String id) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT " + SUBSCRIPTION_COLUMNS + " FROM webhook_subscription WHERE id = ?1")
            .setParameter(1, id)
            .getResultList();
    return rows.stream().findFirst().map(this::subscription);
  }

  /** Every subscription of the teams (null: all teams), newest first. */
  public List<Subscription> subscriptions(Set<String> teams) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT "
                    + SUBSCRIPTION_COLUMNS
                    + " FROM webhook_subscription ORDER BY created_at DESC, id")
            .getResultList();
    return rows.stream()
        .map(this::subscription)
        .filter(s -> teams == null || teams.contains(s.team()))
        .toList();
  }

  public boolean deleteSubscription(String id) {
    return em.createNativeQuery("DELETE FROM webhook_subscription WHERE id = ?1")
            .setParameter(1, id)
            .executeUpdate()
        == 1;
  }

  /** A pending delivery of the event to every subscription of its team whose filter takes it. */
  public void fanOut(String eventId, String team, String type) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT id, CAST(event_types AS text) FROM webhook_subscription WHERE team = ?1 "
                    // events from before the subscription existed are not its business
                    + "AND created_at <= (SELECT occurred_at FROM domain_event WHERE id = ?2)")
            .setParameter(1, team)
            .setParameter(2, eventId)
            .getResultList();
    dev.trainyard.backend.events.EventType eventType =
        dev.trainyard.backend.events.EventType.of(type).orElse(null);
    for (Object[] row : rows) {
      boolean wanted =
          eventType != null && fromJson((String) row[1]).stream().anyMatch(eventType::matches);
      if (wanted) {
        em.createNativeQuery(
                "INSERT INTO webhook_delivery (subscription_id, event_id, status) "
                    + "SELECT ?1, ?2, 'PENDING' WHERE NOT EXISTS (SELECT 1 FROM webhook_delivery "
                    + "WHERE subscription_id = ?1 AND event_id = ?2 AND redelivery_of IS NULL)")
            .setParameter(1, row[0])
            .setParameter(2, eventId)
            .executeUpdate();
      }
    }
  }

  /** A new pending delivery that sends the same event again; its id. */
  public long redeliver(long deliveryId) {
    return ((Number)
            em.createNativeQuery(
                    "INSERT INTO webhook_delivery (subscription_id, event_id, status, redelivery_of) "
                        + "SELECT subscription_id, event_id, 'PENDING', id FROM webhook_delivery WHERE id = ?1 "
                        + "RETURNING id")
                .setParameter(1, deliveryId)
                .getSingleResult())
        .longValue();
  }

  /** What one claimed attempt needs to go out. */
  public record Claimed(
      long deliveryId, int attempt, String url, String secret, String eventId, String eventType) {}

  /**
   * Claims up to {@code limit} due deliveries: each gets its attempt number and is hidden from
   * every other sender (this replica's or another's) for {@code lease}, the longest an attempt can
   * take. Rows another sender is claiming right now are skipped, never waited for.
   */
  public List<Claimed> claimDue(int limit, Duration lease) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "UPDATE webhook_delivery d SET attempts = d.attempts + 1, "
                    + "next_attempt_at = now() + make_interval(secs => ?2) "
                    + "FROM webhook_subscription s, domain_event e "
                    + "WHERE d.id IN (SELECT id FROM webhook_delivery WHERE status = 'PENDING' "
                    + "AND next_attempt_at <= now() ORDER BY next_attempt_at, id LIMIT ?1 FOR UPDATE SKIP LOCKED) "
                    + "AND s.id = d.subscription_id AND e.id = d.event_id "
                    + "RETURNING d.id, d.attempts, s.url, s.secret, e.id, e.type")
            .setParameter(1, limit)
            .setParameter(2, (double) lease.toMillis() / 1000)
            .getResultList();
    List<Claimed> claimed = new ArrayList<>();
    for (Object[] r : rows) {
      claimed.add(
          new Claimed(
              ((Number) r[0]).longValue(),
              ((Number) r[1]).intValue(),
              (String) r[2],
              (String) r[3],
              (String) r[4],
              (String) r[5]));
    }
    return claimed;
  }

  /**
   * Records one attempt and what follows: SUCCEEDED, FAILED (no attempts left), or PENDING again at
   * {@code retryAt}. Only while the claim is still this attempt's (a later claim after an expired
   * lease owns the row then).
   */
  public void recordAttempt(
      Claimed claimed,
      Instant startedAt,
      long durationMs,
      Integer status,
      String body,
      String error,
      String outcome,
      Instant retryAt) {
    em.createNativeQuery(
            "INSERT INTO webhook_attempt (delivery_id, attempt, started_at, duration_ms, response_status, "
                + "response_body, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING")
        .setParameter(1, claimed.deliveryId())
        .setParameter(2, claimed.attempt())
        .setParameter(3, startedAt.atOffset(ZoneOffset.UTC))
        .setParameter(4, durationMs)
        .setParameter(5, status)
        .setParameter(6, body)
        .setParameter(7, error)
        .executeUpdate();
    em.createNativeQuery(
            "UPDATE webhook_delivery SET status = ?3, next_attempt_at = COALESCE(?4, next_attempt_at) "
                + "WHERE id = ?1 AND attempts = ?2 AND status = 'PENDING'")
        .setParameter(1, claimed.deliveryId())
        .setParameter(2, claimed.attempt())
        .setParameter(3, outcome)
        .setParameter(4, retryAt == null ? null : retryAt.atOffset(ZoneOffset.UTC))
        .executeUpdate();
  }

  /** A subscription's deliveries, newest first, each with its attempts. */
  public List<Delivery> deliveries(String subscriptionId, int limit) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT d.id, d.event_id, e.type, d.status, d.next_attempt_at, d.redelivery_of, d.created_at "
                    + "FROM webhook_delivery d JOIN domain_event e ON e.id = d.event_id "
                    + "WHERE d.subscription_id = ?1 ORDER BY d.id DESC LIMIT ?2")
            .setParameter(1, subscriptionId)
            .setParameter(2, limit)
            .getResultList();
    Map<Long, List<Attempt>> attempts = new LinkedHashMap<>();
    if (!rows.isEmpty()) {
      @SuppressWarnings("unchecked")
      List<Object[]> tries =
          em.createNativeQuery(
                  "SELECT a.delivery_id, a.attempt, a.started_at, a.duration_ms, a.response_status, "
                      + "a.response_body, a.error FROM webhook_attempt a JOIN webhook_delivery d "
                      + "ON d.id = a.delivery_id WHERE d.subscription_id = ?1 ORDER BY a.delivery_id, a.attempt")
              .setParameter(1, subscriptionId)
              .getResultList();
      for (Object[] t : tries) {
        attempts
            .computeIfAbsent(((Number) t[0]).longValue(), k -> new ArrayList<>())
            .add(
                new Attempt(
                    ((Number) t[1]).intValue(),
                    timestamp(t[2]),
                    ((Number) t[3]).longValue(),
                    t[4] == null ? null : ((Number) t[4]).intValue(),
                    (String) t[5],
                    (String) t[6]));
      }
    }
    return rows.stream()
        .map(
            r -> {
              long id = ((Number) r[0]).longValue();
              String status = (String) r[3];
              return new Delivery(
                  id,
                  (String) r[1],
                  (String) r[2],
                  status,
                  status.equals("PENDING") ? timestamp(r[4]) : null,
                  r[5] == null ? null : ((Number) r[5]).longValue(),
                  timestamp(r[6]),
                  attempts.getOrDefault(id, List.of()));
            })
        .toList();
  }

  /** The subscription a delivery belongs to; empty when there is no such delivery. */
  public Optional<String> subscriptionOfDelivery(long deliveryId) {
    @SuppressWarnings("unchecked")
    List<String> rows =
        em.createNativeQuery("SELECT subscription_id FROM webhook_delivery WHERE id = ?1")
            .setParameter(1, deliveryId)
            .getResultList();
    return rows.stream().findFirst();
  }

  private Subscription subscription(Object[] r) {
    return new Subscription(
        (String) r[0],
        (String) r[1],
        (String) r[2],
        fromJson((String) r[3]),
        (String) r[4],
        timestamp(r[5]),
        (String) r[6]);
  }

  private static OffsetDateTime timestamp(Object value) {
    return value == null
        ? null
        : value instanceof Instant i ? i.atOffset(ZoneOffset.UTC) : (OffsetDateTime) value;
  }

  private String toJson(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private List<String> fromJson(String text) {
    try {
      return json.readValue(text, STRINGS);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
