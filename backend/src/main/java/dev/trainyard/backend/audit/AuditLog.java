package dev.trainyard.backend.audit;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.jboss.logging.Logger;

/**
 * Appends audit events to a hash chain: each row's hash covers its own fields and the previous
 * row's hash, so editing a row breaks its hash and deleting one breaks the next row's link. Appends
 * are serialised by a transaction-scoped advisory lock so the chain never forks.
 *
 * <p>A database writer could still recompute that chain, or delete the newest rows and reset the
 * sequence. So each row also carries an HMAC of its id and hash under a key the database never sees
 * ({@link AuditKey}), and after each commit the new head is written outside the database ({@link
 * AuditAnchor}); verification checks both.
 */
@ApplicationScoped
public class AuditLog {
  static final String GENESIS = "0".repeat(64);
  private static final long CHAIN_LOCK = 0x7472_6169_6e79_6172L; // "trainyar"
  private static final Logger LOG = Logger.getLogger(AuditLog.class);

  @Inject EntityManager em;
  @Inject AuditKey key;
  @Inject AuditAnchor anchor;
  @Inject TransactionSynchronizationRegistry transactions;

  public record Event(
      long id,
      OffsetDateTime at,
      String actor,
      String roles,
      String teams,
      String action,
      String target,
      int status,
      String clientAddress,
      String requestId,
      String requestDigest,
      String prevHash,
      String hash) {}

  public record Problem(long id, String problem) {}

  /**
   * {@code intact} only when every row verifies and the newest row is anchored. {@code
   * unverifiedRows} rows (from {@code firstUnverified} on) are newer than the last anchor: not
   * known to be tampered with, not known to be whole. {@code unkeyedRows}: rows from before the key
   * existed, checked by the plain chain only.
   */
  public record Verification(
      boolean intact,
      long rowsChecked,
      List<Problem> problems,
      @Schema(nullable = true) Long anchoredThrough,
      long unverifiedRows,
      @Schema(nullable = true) Long firstUnverified,
      long unkeyedRows) {}

  public void append(
      String actor,
      String roles,
      String teams,
      String action,
      String target,
      int status,
      String clientAddress,
      String requestId,
      String requestDigest) {
    // Joins the caller's transaction where there is one, so a change and its audit event commit
    // together.
    QuarkusTransaction.joiningExisting()
        .run(
            () -> {
              em.createNativeQuery("SELECT pg_advisory_xact_lock(?1)")
                  .setParameter(1, CHAIN_LOCK)
                  .getSingleResult();
              @SuppressWarnings("unchecked")
              List<String> last =
                  em.createNativeQuery("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1")
                      .getResultList();
              String prev = last.isEmpty() ? GENESIS : last.get(0);
              // Taken under the lock, so ids rise in chain order; the MAC binds each row to its id.
              long id =
                  ((Number)
                          em.createNativeQuery("SELECT nextval('audit_event_id_seq')")
                              .getSingleResult())
                      .longValue();
              // Microseconds: what PostgreSQL stores, so verification recomputes the same text.
              OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
              String hash =
                  hash(
                      prev,
                      at,
                      actor,
                      roles,
                      teams,
                      action,
                      target,
                      status,
                      clientAddress,
                      requestId,
                      requestDigest);
              em.createNativeQuery(
                      "INSERT INTO audit_event (id, at, actor, roles, teams, action, target, status, client_address, "
                          + "request_id, request_digest, prev_hash, hash, mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)")
                  .setParameter(1, id)
                  .setParameter(2, at)
                  .setParameter(3, actor)
                  .setParameter(4, roles)
                  .setParameter(5, teams)
                  .setParameter(6, action)
                  .setParameter(7, target)
                  .setParameter(8, status)
                  .setParameter(9, clientAddress)
                  .setParameter(10, requestId)
                  .setParameter(11, requestDigest)
                  .setParameter(12, prev)
                  .setParameter(13, hash)
                  .setParameter(14, key.mac(id, hash))
                  .executeUpdate();
              transactions.registerInterposedSynchronization(
                  new Synchronization() {
                    @Override
                    public void beforeCompletion() {}

                    @Override
                    public void afterCompletion(int outcome) {
                      if (outcome == Status.STATUS_COMMITTED) {
                        anchor.append(id, hash);
                      }
                    }
                  });
            });
  }

  /**
   * A home from before anchoring has rows but no anchor: its current head becomes the first anchor.
   * Keyed rows without an anchor file mean the file was removed: nothing is re-anchored, so they
   * stay unverified.
   */
  void anchorExistingChain(@Observes StartupEvent event) {
    if (anchor.exists()) {
      return;
    }
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              @SuppressWarnings("unchecked")
              List<Object[]> head =
                  em.createNativeQuery(
                          "SELECT id, hash, (SELECT count(*) FROM audit_event WHERE mac IS NOT NULL) "
                              + "FROM audit_event ORDER BY id DESC LIMIT 1")
                      .getResultList();
              if (head.isEmpty()) {
                return;
              }
              long keyed = ((Number) head.get(0)[2]).longValue();
              if (keyed > 0) {
                LOG.warnf(
                    "the audit anchor %s is missing although %d keyed audit rows exist: they are reported unverified",
                    anchor.file(), keyed);
                return;
              }
              anchor.append(((Number) head.get(0)[0]).longValue(), (String) head.get(0)[1]);
            });
  }

  public List<Event> list(String actor, String action, Long afterId, int limit) {
    StringBuilder sql =
        new StringBuilder(
            "SELECT id, at, actor, roles, teams, action, target, status, client_address, "
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

  /**
   * Walks the whole chain, then holds it against the anchor. Names every row whose content, link or
   * MAC does not verify and every anchored row that is missing or differs (the newest rows deleted
   * and the sequence reset, or rows renumbered).
   */
  public Verification verify() {
    return QuarkusTransaction.requiringNew().call(this::verifyUnderChainLock);
  }

  private Verification verifyUnderChainLock() {
    // Under the appenders' lock no row commits while the rows and the anchor are read, so the
    // anchor
    // never names a row newer than the rows read (which would look deleted).
    em.createNativeQuery("SELECT pg_advisory_xact_lock(?1)")
        .setParameter(1, CHAIN_LOCK)
        .getSingleResult();
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT id, at, actor, roles, teams, action, target, status, "
                    + "client_address, request_id, request_digest, prev_hash, hash, mac FROM audit_event ORDER BY id")
            .getResultList();
    List<AuditAnchor.Entry> anchored = anchor.read();
    long newest = rows.isEmpty() ? 0 : ((Number) rows.get(rows.size() - 1)[0]).longValue();
    if (anchored.stream().noneMatch(a -> a.id() >= newest) && !rows.isEmpty()) {
      // The newest commit may be a moment from its anchor line (written right after the commit).
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      anchored = anchor.read();
    }
    List<Problem> problems = new ArrayList<>();
    Map<Long, String> hashes = new HashMap<>();
    String expectedPrev = GENESIS;
    long previousId = 0;
    boolean keyedSeen = false;
    long unkeyed = 0;
    for (Object[] row : rows) {
      Event e = event(row);
      String mac = (String) row[13];
      hashes.put(e.id(), e.hash());
      if (!e.prevHash().equals(expectedPrev)) {
        // Ids may skip where an append rolled back; only a broken link means rows went missing.
        String gap =
            e.id() - 1 > previousId
                ? " (rows "
                    + (previousId + 1)
                    + (e.id() - 1 > previousId + 1 ? "-" + (e.id() - 1) : "")
                    + " are missing before this row)"
                : "";
        problems.add(
            new Problem(
                e.id(),
                "does not link to the previous row's hash (a row before it was deleted or altered)"
                    + gap));
      }
      String recomputed =
          hash(
              e.prevHash(),
              e.at(),
              e.actor(),
              e.roles(),
              e.teams(),
              e.action(),
              e.target(),
              e.status(),
              e.clientAddress(),
              e.requestId(),
              e.requestDigest());
      if (!recomputed.equals(e.hash())) {
        problems.add(
            new Problem(e.id(), "content was altered: its hash does not match its fields"));
      }
      if (mac == null) {
        if (keyedSeen) {
          problems.add(
              new Problem(
                  e.id(), "has no MAC although rows before it have one (written without the key)"));
        } else {
          unkeyed++;
        }
      } else {
        keyedSeen = true;
        if (!key.verifies(e.id(), e.hash(), mac)) {
          problems.add(
              new Problem(
                  e.id(),
                  "its MAC does not verify: the row was rewritten or renumbered without the key"));
        }
      }
      expectedPrev = e.hash();
      previousId = e.id();
    }
    Long anchoredThrough = null;
    for (AuditAnchor.Entry entry : anchored) {
      String hash = hashes.get(entry.id());
      if (hash == null) {
        problems.add(
            new Problem(entry.id(), "was anchored but is missing: deleted from the database"));
      } else if (!hash.equals(entry.hash())) {
        problems.add(
            new Problem(
                entry.id(),
                "differs from its anchor: replaced, or newer rows were deleted and the sequence reset"));
      }
      anchoredThrough =
          anchoredThrough == null ? entry.id() : Math.max(anchoredThrough, entry.id());
    }
    long head = anchoredThrough == null ? 0 : anchoredThrough;
    List<Long> tail = hashes.keySet().stream().filter(id -> id > head).sorted().toList();
    problems.sort(java.util.Comparator.comparingLong(Problem::id));
    return new Verification(
        problems.isEmpty() && tail.isEmpty(),
        rows.size(),
        problems,
        anchoredThrough,
        tail.size(),
        tail.isEmpty() ? null : tail.get(0),
        unkeyed);
  }

  private static Event event(Object[] r) {
    OffsetDateTime at =
        r[1] instanceof java.time.Instant i ? i.atOffset(ZoneOffset.UTC) : ((OffsetDateTime) r[1]);
    return new Event(
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

  static String hash(
      String prev,
      OffsetDateTime at,
      String actor,
      String roles,
      String teams,
      String action,
      String target,
      int status,
      String clientAddress,
      String requestId,
      String requestDigest) {
    String canonical =
        String.join(
            "\n",
            prev,
            at.withOffsetSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS).toString(),
            actor,
            roles,
            teams,
            action,
            target,
            Integer.toString(status),
            String.valueOf(clientAddress),
            requestId,
            requestDigest);
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(canonical.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
