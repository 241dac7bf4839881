package dev.trainyard.backend.triggers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.triggers.Triggers.Firing;
import dev.trainyard.backend.triggers.Triggers.Trigger;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The SQL of triggers and firings. Callers bring the transaction. */
@ApplicationScoped
public class TriggerRepository {
  private static final String COLUMNS =
      "id, template_name, template_version, team, event_type, CAST(match AS text), "
          + "CAST(params AS text), created_at, created_by";

  @Inject EntityManager em;
  @Inject ObjectMapper json;

  public void insert(Trigger t) {
    em.createNativeQuery(
            "INSERT INTO launch_trigger (id, template_name, template_version, team, event_type, match, params, "
                + "created_by) VALUES (?1, ?2, ?3, ?4, ?5, CAST(?6 AS jsonb), CAST(?7 AS jsonb), ?8)")
        .setParameter(1, t.id())
        .setParameter(2, t.template())
        .setParameter(3, t.templateVersion())
        .setParameter(4, t.team())
        .setParameter(5, t.event())
        .setParameter(6, toJson(t.match()))
        .setParameter(7, toJson(t.params()))
        .setParameter(8, t.createdBy())
        .executeUpdate();
  }

  public Optional<Trigger> find(String id) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery("SELECT " + COLUMNS + " FROM launch_trigger WHERE id = ?1")
            .setParameter(1, id)
            .getResultList();
    return rows.stream().findFirst().map(this::trigger);
  }

  public List<Trigger> ofTemplate(String template) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT "
                    + COLUMNS
                    + " FROM launch_trigger WHERE template_name = ?1 ORDER BY created_at, id")
            .setParameter(1, template)
            .getResultList();
    return rows.stream().map(this::trigger).toList();
  }

  /** The triggers of a team listening to an event type. */
  public List<Trigger> listening(String team, String eventType) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT " + COLUMNS + " FROM launch_trigger WHERE team = ?1 AND event_type = ?2")
            .setParameter(1, team)
            .setParameter(2, eventType)
            .getResultList();
    return rows.stream().map(this::trigger).toList();
  }

  public void delete(String id) {
    em.createNativeQuery("DELETE FROM launch_trigger WHERE id = ?1")
        .setParameter(1, id)
        .executeUpdate();
  }

  /** A pending firing, unless this trigger already fired (or is firing) for this event. */
  public boolean insertFiring(String triggerId, String eventId) {
    return em.createNativeQuery(
                "INSERT INTO trigger_firing (trigger_id, event_id, status) VALUES (?1, ?2, 'PENDING') "
                    + "ON CONFLICT DO NOTHING")
            .setParameter(1, triggerId)
            .setParameter(2, eventId)
            .executeUpdate()
        == 1;
  }

  public record Claimed(String triggerId, String eventId, int attempt) {}

  /** Claims due firings for {@code lease}, skipping those another launcher holds. */
  public List<Claimed> claimDue(int limit, Duration lease) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "UPDATE trigger_firing f SET attempts = f.attempts + 1, "
                    + "next_attempt_at = now() + make_interval(secs => ?2) "
                    + "WHERE (f.trigger_id, f.event_id) IN (SELECT trigger_id, event_id FROM trigger_firing "
                    + "WHERE status = 'PENDING' AND next_attempt_at <= now() ORDER BY next_attempt_at "
                    + "LIMIT ?1 FOR UPDATE SKIP LOCKED) RETURNING f.trigger_id, f.event_id, f.attempts")
            .setParameter(1, limit)
            .setParameter(2, (double) lease.toMillis() / 1000)
            .getResultList();
    return rows.stream()
        .map(r -> new Claimed((String) r[0], (String) r[1], ((Number) r[2]).intValue()))
        .toList();
  }

  /** The outcome of a claimed firing: LAUNCHED with its run, FAILED, or PENDING again. */
  public void record(Claimed c, String status, String runId, String error, Instant retryAt) {
    em.createNativeQuery(
            "UPDATE trigger_firing SET status = ?3, run_id = ?4, error = ?5, "
                + "next_attempt_at = COALESCE(?6, next_attempt_at) "
                + "WHERE trigger_id = ?1 AND event_id = ?2 AND attempts = ?7")
        .setParameter(1, c.triggerId())
        .setParameter(2, c.eventId())
        .setParameter(3, status)
        .setParameter(4, runId)
        .setParameter(5, error)
        .setParameter(6, retryAt == null ? null : retryAt.atOffset(ZoneOffset.UTC))
        .setParameter(7, c.attempt())
        .executeUpdate();
  }

  public List<Firing> firings(String triggerId) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT event_id, status, attempts, run_id, error, created_at FROM trigger_firing "
                    + "WHERE trigger_id = ?1 ORDER BY created_at DESC")
            .setParameter(1, triggerId)
            .getResultList();
    return rows.stream()
        .map(
            r ->
                new Firing(
                    (String) r[0],
                    (String) r[1],
                    ((Number) r[2]).intValue(),
                    (String) r[3],
                    (String) r[4],
                    timestamp(r[5])))
        .toList();
  }

  @SuppressWarnings("unchecked")
  private Trigger trigger(Object[] r) {
    return new Trigger(
        (String) r[0],
        (String) r[1],
        r[2] == null ? null : ((Number) r[2]).intValue(),
        (String) r[3],
        (String) r[4],
        (Map<String, String>) (Map<?, ?>) fromJson((String) r[5]),
        fromJson((String) r[6]),
        timestamp(r[7]),
        (String) r[8]);
  }

  private static OffsetDateTime timestamp(Object value) {
    return value instanceof Instant i ? i.atOffset(ZoneOffset.UTC) : (OffsetDateTime) value;
  }

  private String toJson(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private Map<String, Object> fromJson(String text) {
    try {
      return json.readValue(text, new TypeReference<Map<String, Object>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
