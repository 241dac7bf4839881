package dev.trainyard.backend.schedules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The SQL of schedules, their ticks and the scheduler lease. Callers hold the transaction. */
@ApplicationScoped
public class ScheduleRepository {
  private static final String COLUMNS =
      "id, template_name, template_version, cron, time_zone, params::text, overlap_policy,"
          + " catchup_window_seconds, paused, next_tick_at, team, created_by, created_at, updated_at";
  private static final String TICK_COLUMNS =
      "schedule_id, tick_at, status, reason, run_id, template_version, params::text, decided_at,"
          + " fired_at";
  private static final String LIVE_RUN_STATUSES = "('PENDING', 'RUNNING')";

  @Inject EntityManager em;
  @Inject ObjectMapper json;

  public void insert(Schedule s) {
    em.createNativeQuery(
            "INSERT INTO schedule (id, template_name, template_version, cron, time_zone, params,"
                + " overlap_policy, catchup_window_seconds, paused, next_tick_at, team, created_by)"
                + " VALUES (?1, ?2, CAST(?3 AS int), ?4, ?5, CAST(?6 AS jsonb), ?7, ?8, ?9,"
                + " CAST(?10 AS timestamptz), ?11, ?12)")
        .setParameter(1, s.id())
        .setParameter(2, s.template())
        .setParameter(3, s.templateVersion())
        .setParameter(4, s.cron())
        .setParameter(5, s.timeZone())
        .setParameter(6, write(s.params()))
        .setParameter(7, s.overlapPolicy().name())
        .setParameter(8, s.catchupWindowSeconds())
        .setParameter(9, s.paused())
        .setParameter(10, utc(s.nextTickAt()))
        .setParameter(11, s.team())
        .setParameter(12, s.createdBy())
        .executeUpdate();
  }

  /** Replaces what a user may change; the cursor is set by the caller. */
  public void update(Schedule s) {
    em.createNativeQuery(
            "UPDATE schedule SET template_version = CAST(?2 AS int), cron = ?3, time_zone = ?4,"
                + " params = CAST(?5 AS jsonb), overlap_policy = ?6, catchup_window_seconds = ?7,"
                + " paused = ?8, next_tick_at = CAST(?9 AS timestamptz), updated_at = now() WHERE id = ?1")
        .setParameter(1, s.id())
        .setParameter(2, s.templateVersion())
        .setParameter(3, s.cron())
        .setParameter(4, s.timeZone())
        .setParameter(5, write(s.params()))
        .setParameter(6, s.overlapPolicy().name())
        .setParameter(7, s.catchupWindowSeconds())
        .setParameter(8, s.paused())
        .setParameter(9, utc(s.nextTickAt()))
        .executeUpdate();
  }

  public void delete(String id) {
    em.createNativeQuery("DELETE FROM schedule WHERE id = ?1").setParameter(1, id).executeUpdate();
  }

  public Optional<Schedule> get(String id) {
    return rows("SELECT " + COLUMNS + " FROM schedule WHERE id = ?1", id).stream().findFirst();
  }

  /** Locks the schedule's row for this transaction, so one decider at a time moves its cursor. */
  public Optional<Schedule> lockIfDue(String id, Instant now) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT "
                    + COLUMNS
                    + " FROM schedule WHERE id = ?1 AND NOT paused AND next_tick_at <= ?2"
                    + " FOR UPDATE SKIP LOCKED")
            .setParameter(1, id)
            .setParameter(2, utc(now))
            .getResultList();
    return rows.stream().map(this::schedule).findFirst();
  }

  public List<Schedule> ofTemplate(String template) {
    return rows(
        "SELECT " + COLUMNS + " FROM schedule WHERE template_name = ?1 ORDER BY created_at, id",
        template);
  }

  /** Ids of unpaused schedules with a tick due by {@code now}. */
  @SuppressWarnings("unchecked")
  public List<String> due(Instant now) {
    return em.createNativeQuery(
            "SELECT id FROM schedule WHERE NOT paused AND next_tick_at <= ?1 ORDER BY next_tick_at"
                + " LIMIT 100")
        .setParameter(1, utc(now))
        .getResultList();
  }

  public void moveCursor(String id, Instant next) {
    em.createNativeQuery("UPDATE schedule SET next_tick_at = CAST(?2 AS timestamptz) WHERE id = ?1")
        .setParameter(1, id)
        .setParameter(2, utc(next))
        .executeUpdate();
  }

  /**
   * Records a decided tick unless one was recorded for that instant already (by an earlier holder
   * of the lease): the first decision stands. True if this one was recorded.
   */
  public boolean insertTick(
      String scheduleId,
      Instant tickAt,
      String status,
      String reason,
      Integer templateVersion,
      Map<String, Object> params) {
    return em.createNativeQuery(
                "INSERT INTO schedule_tick (schedule_id, tick_at, status, reason, template_version,"
                    + " params) VALUES (?1, ?2, ?3, CAST(?4 AS text), CAST(?5 AS int), CAST(?6 AS jsonb))"
                    + " ON CONFLICT DO NOTHING")
            .setParameter(1, scheduleId)
            .setParameter(2, utc(tickAt))
            .setParameter(3, status)
            .setParameter(4, reason)
            .setParameter(5, templateVersion)
            .setParameter(6, write(params))
            .executeUpdate()
        == 1;
  }

  /** Whether a run the schedule launched is live, or a decided tick of it awaits launching. */
  public boolean hasLive(String scheduleId) {
    Number n =
        (Number)
            em.createNativeQuery(
                    "SELECT count(*) FROM schedule_tick t LEFT JOIN run r ON r.id = t.run_id"
                        + " WHERE t.schedule_id = ?1 AND (t.status = 'PENDING' OR (t.status ="
                        + " 'FIRED' AND r.status IN "
                        + LIVE_RUN_STATUSES
                        + "))")
                .setParameter(1, scheduleId)
                .getSingleResult();
    return n.longValue() > 0;
  }

  public Optional<Tick> buffered(String scheduleId) {
    return ticks(
            "SELECT "
                + TICK_COLUMNS
                + " FROM schedule_tick WHERE schedule_id = ?1 AND status = 'BUFFERED'"
                + " ORDER BY tick_at LIMIT 1",
            scheduleId)
        .stream()
        .findFirst();
  }

  /** Schedules with a buffered tick, to release when their live run has ended. */
  @SuppressWarnings("unchecked")
  public List<String> withBuffered() {
    return em.createNativeQuery(
            "SELECT DISTINCT schedule_id FROM schedule_tick WHERE status = 'BUFFERED' LIMIT 100")
        .getResultList();
  }

  /** Ticks decided to launch whose launch is not yet recorded, oldest first. */
  public List<Tick> pending(int limit) {
    return ticks(
        "SELECT "
            + TICK_COLUMNS
            + " FROM schedule_tick WHERE status = 'PENDING' ORDER BY tick_at LIMIT "
            + limit);
  }

  public void setStatus(String scheduleId, Instant tickAt, String from, String to, String reason) {
    em.createNativeQuery(
            "UPDATE schedule_tick SET status = ?4, reason = CAST(?5 AS text) WHERE schedule_id = ?1 AND tick_at"
                + " = ?2 AND status = ?3")
        .setParameter(1, scheduleId)
        .setParameter(2, utc(tickAt))
        .setParameter(3, from)
        .setParameter(4, to)
        .setParameter(5, reason)
        .executeUpdate();
  }

  public boolean fired(String scheduleId, Instant tickAt, String runId) {
    return em.createNativeQuery(
                "UPDATE schedule_tick SET status = 'FIRED', reason = NULL, run_id = ?3, fired_at ="
                    + " now() WHERE schedule_id = ?1 AND tick_at = ?2 AND status = 'PENDING'")
            .setParameter(1, scheduleId)
            .setParameter(2, utc(tickAt))
            .setParameter(3, runId)
            .executeUpdate()
        == 1;
  }

  /** The schedule's ticks, newest first, older than {@code before} when given. */
  public List<Tick> ticksOf(String scheduleId, Instant before, int limit) {
    if (before == null) {
      return ticks(
          "SELECT "
              + TICK_COLUMNS
              + " FROM schedule_tick WHERE schedule_id = ?1 ORDER BY tick_at DESC LIMIT "
              + limit,
          scheduleId);
    }
    return ticks(
        "SELECT "
            + TICK_COLUMNS
            + " FROM schedule_tick WHERE schedule_id = ?1 AND tick_at < ?2 ORDER BY tick_at DESC"
            + " LIMIT "
            + limit,
        scheduleId,
        utc(before));
  }

  // The lease: one row; its owner fires ticks until expires_at. The database's clock decides, so
  // replicas' clocks need not agree.

  /** Takes the lease if it is free or expired, or renews it if {@code owner} holds it. */
  public boolean acquireLease(String owner, long ttlMillis) {
    return em.createNativeQuery(
                "UPDATE scheduler_lease SET owner = ?1,"
                    + " expires_at = now() + make_interval(secs => ?2) WHERE name = 'schedules'"
                    + " AND (owner = ?1 OR expires_at < now())")
            .setParameter(1, owner)
            .setParameter(2, ttlMillis / 1000.0)
            .executeUpdate()
        == 1;
  }

  /**
   * Whether {@code owner} holds an unexpired lease, share-locking its row until the transaction
   * ends: no one takes the lease over while a holder's decisions are being written.
   */
  public boolean holdsLease(String owner) {
    return !em.createNativeQuery(
            "SELECT 1 FROM scheduler_lease WHERE name = 'schedules' AND owner = ?1"
                + " AND expires_at > now() FOR SHARE")
        .setParameter(1, owner)
        .getResultList()
        .isEmpty();
  }

  public void releaseLease(String owner) {
    em.createNativeQuery(
            "UPDATE scheduler_lease SET expires_at = '-infinity' WHERE name = 'schedules' AND owner"
                + " = ?1")
        .setParameter(1, owner)
        .executeUpdate();
  }

  @SuppressWarnings("unchecked")
  public Optional<String> leaseOwner() {
    List<Object> rows =
        em.createNativeQuery(
                "SELECT owner FROM scheduler_lease WHERE name = 'schedules' AND expires_at > now()")
            .getResultList();
    return rows.stream().map(String::valueOf).findFirst();
  }

  @SuppressWarnings("unchecked")
  private List<Schedule> rows(String sql, Object... params) {
    var query = em.createNativeQuery(sql);
    for (int i = 0; i < params.length; i++) {
      query.setParameter(i + 1, params[i]);
    }
    return ((List<Object[]>) query.getResultList()).stream().map(this::schedule).toList();
  }

  @SuppressWarnings("unchecked")
  private List<Tick> ticks(String sql, Object... params) {
    var query = em.createNativeQuery(sql);
    for (int i = 0; i < params.length; i++) {
      query.setParameter(i + 1, params[i]);
    }
    return ((List<Object[]>) query.getResultList())
        .stream()
            .map(
                r ->
                    new Tick(
                        (String) r[0],
                        instant(r[1]),
                        (String) r[2],
                        (String) r[3],
                        (String) r[4],
                        r[5] == null ? null : ((Number) r[5]).intValue(),
                        read((String) r[6]),
                        instant(r[7]),
                        instant(r[8])))
            .toList();
  }

  private Schedule schedule(Object[] r) {
    return new Schedule(
        (String) r[0],
        (String) r[1],
        r[2] == null ? null : ((Number) r[2]).intValue(),
        (String) r[3],
        (String) r[4],
        read((String) r[5]),
        OverlapPolicy.valueOf((String) r[6]),
        ((Number) r[7]).longValue(),
        (Boolean) r[8],
        instant(r[9]),
        (String) r[10],
        (String) r[11],
        instant(r[12]),
        instant(r[13]));
  }

  private static Instant instant(Object value) {
    return switch (value) {
      case null -> null;
      case Instant i -> i;
      case OffsetDateTime o -> o.toInstant();
      case Timestamp t -> t.toInstant();
      default -> throw new IllegalStateException("not a timestamp: " + value.getClass());
    };
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }

  private String write(Map<String, Object> params) {
    try {
      return json.writeValueAsString(params == null ? Map.of() : params);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Map<String, Object> read(String text) {
    try {
      return json.readValue(text, new TypeReference<Map<String, Object>>() {});
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
