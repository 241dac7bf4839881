package dev.trainyard.backend.audit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

/**
 * The SQL of the audit chain: the chain lock, appends and reads of {@code audit_event}. The hashing
 * and verification are {@link AuditLog}'s. Callers bring the transaction.
 */
@ApplicationScoped
class AuditRepository {
  private static final long CHAIN_LOCK = 0x7472_6169_6e79_6172L; // "trainyar"
  private static final String COLUMNS =
      "id, at, actor, roles, teams, action, target, status, client_address, "
          + "request_id, request_digest, prev_hash, hash";

  @Inject EntityManager em;

  /** A stored row: the event and its MAC (null for rows from before the key). */
  record Row(AuditLog.Event event, String mac) {}

  /** The chain head: the newest row, and how many rows carry a MAC. */
  record Head(long id, String hash, long keyedRows) {}

  /** Serialises appends (and verification) until the transaction ends, so the chain never forks. */
  void lockChain() {
    em.createNativeQuery("SELECT pg_advisory_xact_lock(?1)")
        .setParameter(1, CHAIN_LOCK)
        .getSingleResult();
  }

  /** The newest row's hash, if any row exists. */
  Optional<String> lastHash() {
    @SuppressWarnings("unchecked")
    List<String> last =
        em.createNativeQuery("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1")
            .getResultList();
    return last.stream().findFirst();
  }

  long nextId() {
    return ((Number) em.createNativeQuery("SELECT nextval('audit_event_id_seq')").getSingleResult())
        .longValue();
  }

  void insert(AuditLog.Event e, String mac) {
    em.createNativeQuery(
            "INSERT INTO audit_event ("
                + COLUMNS
                + ", mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)")
        .setParameter(1, e.id())
        .setParameter(2, e.at())
        .setParameter(3, e.actor())
        .setParameter(4, e.roles())
        .setParameter(5, e.teams())
        .setParameter(6, e.action())
        .setParameter(7, e.target())
        .setParameter(8, e.status())
        .setParameter(9, e.clientAddress())
        .setParameter(10, e.requestId())
        .setParameter(11, e.requestDigest())
        .setParameter(12, e.prevHash())
        .setParameter(13, e.hash())
        .setParameter(14, mac)
        .executeUpdate();
  }

  Optional<Head> head() {
    @SuppressWarnings("unchecked")
    List<Object[]> head =
        em.createNativeQuery(
                "SELECT id, hash, (SELECT count(*) FROM audit_event WHERE mac IS NOT NULL) "
                    + "FROM audit_event ORDER BY id DESC LIMIT 1")
            .getResultList();
    return head.stream()
        .findFirst()
        .map(
            r -> new Head(((Number) r[0]).longValue(), (String) r[1], ((Number) r[2]).longValue()));
  }

  /**
   * Events oldest first: by exact actor, by action containing the text, after an id; null means no
   * condition.
   */
  List<AuditLog.Event> list(String actor, String action, Long afterId, int limit) {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM audit_event WHERE 1 = 1");
    if (actor != null) {
      sql.append(" AND actor = :actor");
    }
    if (action != null) {
      sql.append(" AND action LIKE :action");
    }
    if (afterId != null) {
      sql.append(" AND id > :after");
    }
    sql.append(" ORDER BY id LIMIT :limit");
    var query = em.createNativeQuery(sql.toString());
    if (actor != null) {
      query.setParameter("actor", actor);
    }
    if (action != null) {
      query.setParameter("action", "%" + action + "%");
    }
    if (afterId != null) {
      query.setParameter("after", afterId);
    }
    query.setParameter("limit", limit);
    @SuppressWarnings("unchecked")
    List<Object[]> rows = query.getResultList();
    return rows.stream().map(AuditRepository::event).toList();
  }

  /** Every row, oldest first, with its MAC. */
  List<Row> all() {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery("SELECT " + COLUMNS + ", mac FROM audit_event ORDER BY id")
            .getResultList();
    return rows.stream().map(r -> new Row(event(r), (String) r[13])).toList();
  }

  private static AuditLog.Event event(Object[] r) {
    OffsetDateTime at =
        r[1] instanceof java.time.Instant i ? i.atOffset(ZoneOffset.UTC) : ((OffsetDateTime) r[1]);
    return new AuditLog.Event(
        ((Number) r[0]).longValue(),
        at.withOffsetSameInstant(ZoneOffset.UTC),
        (String) r[2],
        (String) r[3],
        (String) r[4],
        (String) r[5],
        (String) r[6],
        ((Number) r[7]).intValue(),
        (String) r[8],
        (String) r[9],
        (String) r[10],
        (String) r[11],
        (String) r[12]);
  }
}
