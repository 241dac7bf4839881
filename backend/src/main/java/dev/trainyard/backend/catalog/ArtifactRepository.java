package dev.trainyard.backend.catalog;

import dev.trainyard.backend.lineage.LineageNode;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The SQL of the artifact aggregate's reads: the filtered list, what the producing attempt
 * measured, the evaluations of a checkpoint and the aliases on an artifact. Lookups by id or name
 * prefix stay on {@link ArtifactEntity} (a Panache entity is the repository for its own table).
 * Callers bring the transaction.
 */
@ApplicationScoped
public class ArtifactRepository {
  @Inject EntityManager em;

  /**
   * The list's filters, already validated; null means no condition.
   *
   * @param prefix a prefix of the name (any case), of the id or of an alias on the artifact
   * @param teams the teams the caller sees; null for all (admins)
   */
  public record ArtifactFilter(String type, String prefix, Set<String> teams) {}

  /** Newest first, at most {@code limit}. */
  public List<ArtifactEntity> list(ArtifactFilter f, int limit) {
    StringBuilder where = new StringBuilder("1 = 1");
    Parameters params = new Parameters();
    if (f.type() != null) {
      where.append(" and type = :type");
      params.and("type", f.type());
    }
    if (f.prefix() != null && !f.prefix().isBlank()) {
      // '_' is legal in names, so LIKE's wildcards are escaped: the prefix is taken literally.
      String prefix =
          f.prefix()
                  .strip()
                  .toLowerCase(java.util.Locale.ROOT)
                  .replace("\\", "\\\\")
                  .replace("%", "\\%")
                  .replace("_", "\\_")
              + "%";
      where.append(
          " and (lower(name) like :q escape '\\' or id like :q escape '\\'"
              + " or id in (select x.artifactId from AliasEntity x where lower(x.name) like :q escape '\\'))");
      params.and("q", prefix);
    }
    if (f.teams() != null) {
      where.append(" and team in :teams");
      params.and("teams", f.teams());
    }
    return ArtifactEntity.<ArtifactEntity>find(
            where.toString(), Sort.descending("createdAt"), params)
        .range(0, limit - 1)
        .list();
  }

  /**
   * What the attempt that wrote an artifact measured on it (tensor steps report both); either may
   * be null.
   */
  public record Measured(Long parameters, Double sparsity) {
    public static final Measured NONE = new Measured(null, null);
  }

  /**
   * {@code parameters} and {@code sparsity} from the final metrics of the attempt that wrote each
   * artifact: read from what is stored, in one query for a page. Artifacts without metrics are
   * absent.
   */
  public Map<String, Measured> measured(List<String> ids) {
    if (ids.isEmpty()) {
      return Map.of();
    }
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT a.id, jsonb_extract_path_text(sa.metrics, 'parameters'), jsonb_extract_path_text(sa.metrics, 'sparsity')"
                    + " FROM artifact a JOIN step_attempt sa"
                    + " ON sa.run_id = a.run_id AND sa.step_id = a.step_id AND sa.attempt = a.attempt"
                    + " WHERE a.id IN (:ids) AND sa.metrics IS NOT NULL")
            .setParameter("ids", ids)
            .getResultList();
    Map<String, Measured> out = new HashMap<>();
    for (Object[] r : rows) {
      out.put(
          (String) r[0],
          new Measured(
              r[1] == null ? null : (long) Double.parseDouble((String) r[1]),
              r[2] == null ? null : Double.valueOf((String) r[2])));
    }
    return out;
  }

  /** A succeeded attempt that read a checkpoint as its model, with its metrics as stored. */
  public record Evaluation(
      String runId, String stepId, int attempt, String metricsJson, OffsetDateTime finishedAt) {}

  /**
   * The succeeded attempts of steps of these kinds that read the artifact as {@code input:model},
   * newest first.
   */
  public List<Evaluation> evaluations(String artifactId, List<String> kinds) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT sa.run_id, sa.step_id, sa.attempt, CAST(sa.metrics AS text), sa.finished_at FROM lineage_edge e "
                    + "JOIN step_attempt sa ON e.to_node = 'step:' || sa.run_id || '/' || sa.step_id || '/' || sa.attempt "
                    + "JOIN step s ON s.run_id = sa.run_id AND s.step_id = sa.step_id "
                    + "WHERE e.from_node = ?1 AND e.role = 'input:model' AND s.kind IN (?2) AND sa.status = 'SUCCEEDED' "
                    + "ORDER BY sa.finished_at DESC")
            .setParameter(1, LineageNode.artifact(artifactId).format())
            .setParameter(2, kinds)
            .getResultList();
    return rows.stream()
        .map(
            row ->
                new Evaluation(
                    (String) row[0],
                    (String) row[1],
                    ((Number) row[2]).intValue(),
                    (String) row[3],
                    row[4] instanceof Instant i
                        ? i.atOffset(ZoneOffset.UTC)
                        : (OffsetDateTime) row[4]))
        .toList();
  }

  /** The names of the aliases pointing at an artifact. */
  public List<String> aliasesOf(String artifactId) {
    return AliasEntity.<AliasEntity>list("artifactId", artifactId).stream()
        .map(x -> x.name)
        .toList();
  }
}
