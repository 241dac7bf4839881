package dev.trainyard.backend.datasets;

import dev.trainyard.backend.catalog.DatasetVersionEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.List;
import java.util.Locale;

/**
 * The SQL of dataset versions beyond their entity's lookups: the searched list, and the lock and
 * numbering a registration takes. Callers bring the transaction.
 */
@ApplicationScoped
public class DatasetVersionRepository {
  @Inject EntityManager em;

  /**
   * Every version whose name or id starts with the prefix (taken literally, any case; null for
   * all), newest first; the caller filters by team.
   */
  public List<DatasetVersionEntity> matching(String q) {
    String prefix =
        q == null
            ? ""
            : q.strip()
                .toLowerCase(Locale.ROOT)
                .replace("\\", "\\\\")
                .replace("%", "\\%")
                .replace("_", "\\_");
    return DatasetVersionEntity.<DatasetVersionEntity>find(
            "(name like ?1 escape '\\' or artifactId like ?1 escape '\\')"
                + " order by createdAt desc, version desc",
            prefix + "%")
        .list();
  }

  /**
   * One registration of a name at a time, so version numbers are dense and never collide: held
   * until the transaction ends.
   */
  public void lockName(String team, String name) {
    em.createNativeQuery("SELECT pg_advisory_xact_lock(hashtext(?1))")
        .setParameter(1, "dataset:" + team + "/" + name)
        .getSingleResult();
  }

  /** The highest version of the name within the team; 0 when it has none. */
  public int latestVersion(String team, String name) {
    Number latest =
        (Number)
            em.createNativeQuery(
                    "SELECT max(version) FROM dataset_version WHERE team = ?1 AND name = ?2")
                .setParameter(1, team)
                .setParameter(2, name)
                .getSingleResult();
    return latest == null ? 0 : latest.intValue();
  }
}
