package dev.trainyard.backend.audit;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Appends audit events to a hash chain: each row's hash covers its own fields and the previous row's
 * hash, so editing a row breaks its hash and deleting one breaks the next row's link. Appends are
 * serialised by a transaction-scoped advisory lock so the chain never forks.
 */
@ApplicationScoped
public class AuditLog {
  static final String GENESIS = "0".repeat(64);
  private static final long CHAIN_LOCK = 0x7472_6169_6e79_6172L; // "trainyar"

  @Inject EntityManager em;

  public record Event(long id, OffsetDateTime at, String actor, String roles, String teams, String action, String target,
      int status, String clientAddress, String requestId, String requestDigest, String prevHash, String hash) {}

  public record Problem(long id, String problem) {}

  public record Verification(boolean intact, long rowsChecked, List<Problem> problems) {}

  public void append(String actor, String roles, String teams, String action, String target, int status,
      String clientAddress, String requestId, String requestDigest) {
    // Joins the caller's transaction where there is one, so a change and its audit event commit together.
    QuarkusTransaction.joiningExisting().run(() -> {
      em.createNativeQuery("SELECT pg_advisory_xact_lock(?1)").setParameter(1, CHAIN_LOCK).getSingleResult();
      @SuppressWarnings("unchecked")
      List<String> last = em.createNativeQuery("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1").getResultList();
      String prev = last.isEmpty() ? GENESIS : last.get(0);
      // Microseconds: what PostgreSQL stores, so verification recomputes the same text.
      OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
      String hash = hash(prev, at, actor, roles, teams, action, target, status, clientAddress, requestId, requestDigest);
      em.createNativeQuery("INSERT INTO audit_event (at, actor, roles, teams, action, target, status, client_address, "
              + "request_id, request_digest, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")
          .setParameter(1, at).setParameter(2, actor).setParameter(3, roles).setParameter(4, teams)
          .setParameter(5, action).setParameter(6, target).setParameter(7, status).setParameter(8, clientAddress)
          .setParameter(9, requestId).setParameter(10, requestDigest).setParameter(11, prev).setParameter(12, hash)
          .executeUpdate();
    });
  }

  public List<Event> list(String actor, String action, Long afterId, int limit) {
    StringBuilder sql = new StringBuilder("SELECT id, at, actor, roles, teams, action, target, status, client_address, "
        + "request_id, request_digest, prev_hash, hash FROM audit_event WHERE 1 = 1");
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
    return rows.stream().map(AuditLog::event).toList();
  }

  /** Walks the whole chain; names every row whose content or link does not verify. */
  public Verification verify() {
    @SuppressWarnings("unchecked")
    List<Object[]> rows = em.createNativeQuery("SELECT id, at, actor, roles, teams, action, target, status, "
            + "client_address, request_id, request_digest, prev_hash, hash FROM audit_event ORDER BY id")
        .getResultList();
    List<Problem> problems = new ArrayList<>();
    String expectedPrev = GENESIS;
    long expectedId = -1;
    for (Object[] row : rows) {
      Event e = event(row);
      if (expectedId > 0 && e.id() != expectedId) {
        problems.add(new Problem(e.id(), "rows " + expectedId + (e.id() - 1 > expectedId ? "-" + (e.id() - 1) : "")
            + " are missing before this row"));
      }
      if (!e.prevHash().equals(expectedPrev)) {
        problems.add(new Problem(e.id(), "does not link to the previous row's hash (a row before it was deleted or altered)"));
      }
      String recomputed = hash(e.prevHash(), e.at(), e.actor(), e.roles(), e.teams(), e.action(), e.target(), e.status(),
          e.clientAddress(), e.requestId(), e.requestDigest());
      if (!recomputed.equals(e.hash())) {
        problems.add(new Problem(e.id(), "content was altered: its hash does not match its fields"));
      }
      expectedPrev = e.hash();
      expectedId = e.id() + 1;
    }
    return new Verification(problems.isEmpty(), rows.size(), problems);
  }

  private static Event event(Object[] r) {
    OffsetDateTime at = r[1] instanceof java.time.Instant i ? i.atOffset(ZoneOffset.UTC) : ((OffsetDateTime) r[1]);
    return new Event(((Number) r[0]).longValue(), at.withOffsetSameInstant(ZoneOffset.UTC), (String) r[2], (String) r[3],
        (String) r[4], (String) r[5], (String) r[6], ((Number) r[7]).intValue(), (String) r[8], (String) r[9],
        (String) r[10], (String) r[11], (String) r[12]);
  }

  static String hash(String prev, OffsetDateTime at, String actor, String roles, String teams, String action, String target,
      int status, String clientAddress, String requestId, String requestDigest) {
    String canonical = String.join("\n", prev, at.withOffsetSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS).toString(),
        actor, roles, teams, action, target, Integer.toString(status), String.valueOf(clientAddress), requestId, requestDigest);
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
