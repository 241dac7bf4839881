package dev.trainyard.backend.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** The outbox's SQL, and the catalog reads an event's data needs. Callers bring the transaction. */
@ApplicationScoped
public class EventRepository {
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  @Inject EntityManager em;
  @Inject ObjectMapper json;

  /**
   * Appends an event unless one with the same dedupe key exists (a retried ledger write); returns
   * the new event's id, or empty when it was there already.
   */
  public Optional<String> append(
      EventType type, String team, String dedupeKey, Map<String, Object> data) {
    String id = "evt_" + UUID.randomUUID().toString().replace("-", "");
    int inserted =
        em.createNativeQuery(
                "INSERT INTO domain_event (id, type, team, dedupe_key, data) "
                    + "VALUES (?1, ?2, ?3, ?4, CAST(?5 AS jsonb)) ON CONFLICT (dedupe_key) DO NOTHING")
            .setParameter(1, id)
            .setParameter(2, type.wireName())
            .setParameter(3, team)
            .setParameter(4, dedupeKey == null ? id : dedupeKey)
            .setParameter(5, toJson(data))
            .executeUpdate();
    return inserted == 1 ? Optional.of(id) : Optional.empty();
  }

  public Optional<DomainEvent> find(String id) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT id, type, team, occurred_at, CAST(data AS text) FROM domain_event WHERE id = ?1")
            .setParameter(1, id)
            .getResultList();
    return rows.stream().findFirst().map(this::event);
  }

  /**
   * Up to {@code limit} events not yet dispatched, oldest first, row-locked until the caller's
   * transaction ends; rows another replica holds are skipped, never waited for.
   */
  public List<DomainEvent> claimUndispatched(int limit) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT id, type, team, occurred_at, CAST(data AS text) FROM domain_event "
                    + "WHERE dispatched_at IS NULL ORDER BY seq LIMIT ?1 FOR UPDATE SKIP LOCKED")
            .setParameter(1, limit)
            .getResultList();
    return rows.stream().map(this::event).toList();
  }

  public void markDispatched(String id) {
    em.createNativeQuery("UPDATE domain_event SET dispatched_at = now() WHERE id = ?1")
        .setParameter(1, id)
        .executeUpdate();
  }

  /** A run as its events describe it; empty when the run is not in the catalog. */
  public Optional<Map<String, Object>> run(String runId) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT template_name, template_version, status, error, launched_by, team, executions, "
                    + "CAST(params AS text), CAST(triggered_by AS text) FROM run WHERE id = ?1")
            .setParameter(1, runId)
            .getResultList();
    return rows.stream()
        .findFirst()
        .map(
            r -> {
              Map<String, Object> run = new LinkedHashMap<>();
              run.put("id", runId);
              run.put("template", r[0]);
              run.put("templateVersion", ((Number) r[1]).intValue());
              run.put("status", r[2]);
              run.put("error", r[3]);
              run.put("launchedBy", r[4]);
              run.put("team", r[5]);
              run.put("executions", ((Number) r[6]).intValue());
              run.put("params", fromJson((String) r[7]));
              run.put("triggeredBy", r[8] == null ? null : fromJson((String) r[8]));
              return run;
            });
  }

  /** One attempt of a step: its kind, status and error; empty when not recorded. */
  public Optional<Map<String, Object>> attempt(String runId, String stepId, int attempt) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT s.kind, sa.status, sa.error FROM step_attempt sa JOIN step s "
                    + "ON s.run_id = sa.run_id AND s.step_id = sa.step_id "
                    + "WHERE sa.run_id = ?1 AND sa.step_id = ?2 AND sa.attempt = ?3")
            .setParameter(1, runId)
            .setParameter(2, stepId)
            .setParameter(3, attempt)
            .getResultList();
    return rows.stream()
        .findFirst()
        .map(
            r -> {
              Map<String, Object> step = new LinkedHashMap<>();
              step.put("id", stepId);
              step.put("kind", r[0]);
              step.put("attempt", attempt);
              step.put("status", r[1]);
              step.put("error", r[2]);
              return step;
            });
  }

  /** The team of an artifact (whose events only that team's subscriptions see). */
  public Optional<String> artifactTeam(String artifactId) {
    @SuppressWarnings("unchecked")
    List<String> rows =
        em.createNativeQuery("SELECT team FROM artifact WHERE id = ?1")
            .setParameter(1, artifactId)
            .getResultList();
    return rows.stream().findFirst();
  }

  private DomainEvent event(Object[] r) {
    return new DomainEvent(
        (String) r[0], (String) r[1], (String) r[2], timestamp(r[3]), fromJson((String) r[4]));
  }

  static OffsetDateTime timestamp(Object value) {
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
      return json.readValue(text, MAP);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
