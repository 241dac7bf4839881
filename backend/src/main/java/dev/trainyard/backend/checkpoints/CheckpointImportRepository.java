package dev.trainyard.backend.checkpoints;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

/** The lock an import takes; callers bring the transaction. */
@ApplicationScoped
public class CheckpointImportRepository {
  @Inject EntityManager em;

  /**
   * One import of the same content at a time, so two identical imports record one checkpoint (the
   * second finds the first's row): held until the transaction ends.
   */
  public void lockContent(String artifactId) {
    em.createNativeQuery("SELECT pg_advisory_xact_lock(hashtext(?1))")
        .setParameter(1, "checkpoint-import:" + artifactId)
        .getSingleResult();
  }
}
