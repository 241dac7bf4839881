package dev.trainyard.backend.audit;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
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
  private static final Logger LOG = Logger.getLogger(AuditLog.class);

  @Inject AuditRepository repository;
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
              repository.lockChain();
              String prev = repository.lastHash().orElse(GENESIS);
              // Taken under the lock, so ids rise in chain order; the MAC binds each row to its id.
              long id = repository.nextId();
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
              repository.insert(
                  new Event(
                      id,
                      at,
                      actor,
                      roles,
                      teams,
                      action,
                      target,
                      status,
                      clientAddress,
                      requestId,
                      requestDigest,
                      prev,
                      hash),
                  key.mac(id, hash));
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
              var head = repository.head();
              if (head.isEmpty()) {
                return;
              }
              long keyed = head.get().keyedRows();
              if (keyed > 0) {
                LOG.warnf(
                    "the audit anchor %s is missing although %d keyed audit rows exist: they are reported unverified",
                    anchor.file(), keyed);
                return;
              }
              anchor.append(head.get().id(), head.get().hash());
            });
  }

  public List<Event> list(String actor, String action, Long afterId, int limit) {
    return repository.list(actor, action, afterId, limit);
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
    repository.lockChain();
    List<AuditRepository.Row> rows = repository.all();
    List<AuditAnchor.Entry> anchored = anchor.read();
    long newest = rows.isEmpty() ? 0 : rows.get(rows.size() - 1).event().id();
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
    for (AuditRepository.Row row : rows) {
      Event e = row.event();
      String mac = row.mac();
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
