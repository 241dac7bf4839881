package dev.trainyard.backend.catalog;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * The alias SQL: moves, with history; the one place the alias API and the {@code promote} step
 * share.
 */
@ApplicationScoped
public class Aliases {
  @Inject EntityManager em;
  @Inject dev.trainyard.backend.events.DomainEvents events;

  /** The target's files were deleted by retention (before or while the move ran). */
  public static final class TargetDeleted extends RuntimeException {
    public TargetDeleted(String artifactId) {
      super("artifact " + artifactId + " was deleted by retention; an alias cannot point at it");
    }
  }

  /**
   * Points {@code name} at {@code artifactId} inside the caller's transaction and records the move
   * in the alias history; returns the artifact it pointed at before (null for a new alias). Under a
   * share lock on the target's row: retention takes the row lock before deleting and then re-reads
   * the aliases, so either this alias wins and the checkpoint stays, or this move sees the
   * deletion.
   */
  public String move(String name, String artifactId, String user) {
    Object deletedAt =
        em.createNativeQuery("SELECT deleted_at FROM artifact WHERE id = ?1 FOR SHARE")
            .setParameter(1, artifactId)
            .getSingleResult();
    if (deletedAt != null) {
      throw new TargetDeleted(artifactId);
    }
    AliasEntity alias = AliasEntity.findById(name);
    String previous = alias == null ? null : alias.artifactId;
    if (alias == null) {
      alias = new AliasEntity();
      alias.name = name;
    }
    alias.artifactId = artifactId;
    alias.updatedAt = OffsetDateTime.now();
    alias.updatedBy = user;
    alias.persist();
    em.createNativeQuery(
            "INSERT INTO alias_history (name, artifact_id, previous_artifact_id, changed_by) VALUES (?1, ?2, ?3, ?4)")
        .setParameter(1, name)
        .setParameter(2, artifactId)
        .setParameter(3, previous)
        .setParameter(4, user)
        .executeUpdate();
    events.aliasMoved(name, artifactId, previous, user);
    return previous;
  }

  /** One move of an alias. */
  public record Move(
      String artifactId, String previousArtifactId, OffsetDateTime changedAt, String changedBy) {}

  /** Every move of the alias, oldest first. */
  public List<Move> history(String name) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT artifact_id, previous_artifact_id, changed_at, changed_by FROM alias_history WHERE name = ?1 ORDER BY id")
            .setParameter(1, name)
            .getResultList();
    return rows.stream()
        .map(
            r ->
                new Move(
                    (String) r[0],
                    (String) r[1],
                    r[2] instanceof java.time.Instant i
                        ? i.atOffset(java.time.ZoneOffset.UTC)
                        : (OffsetDateTime) r[2],
                    (String) r[3]))
        .toList();
  }
}
