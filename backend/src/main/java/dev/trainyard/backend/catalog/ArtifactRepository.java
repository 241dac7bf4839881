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
import java.util.ArrayList;
import java.util.Collection;
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

  /**
   * Where a step-written artifact comes from, for naming it {@code <template>/<step>}: the run, its
   * template and the producing step's kind.
   */
  public record Origin(String runId, String stepId, String template, String kind) {}

  /** The origin of each artifact a step wrote, in one query; others are absent. */
  public Map<String, Origin> origins(Collection<String> ids) {
    if (ids.isEmpty()) {
      return Map.of();
    }
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT a.id, a.run_id, a.step_id, r.template_name, s.kind FROM artifact a"
                    + " JOIN run r ON r.id = a.run_id"
                    + " LEFT JOIN step s ON s.run_id = a.run_id AND s.step_id = a.step_id"
                    + " WHERE a.id IN (:ids)")
            .setParameter("ids", ids)
            .getResultList();
    Map<String, Origin> out = new HashMap<>();
    for (Object[] r : rows) {
      out.put(
          (String) r[0], new Origin((String) r[1], (String) r[2], (String) r[3], (String) r[4]));
    }
    return out;
  }

  /** Kind and template of steps, keyed {@code <run>/<step>}, for the runs given, in one query. */
  public Map<String, Origin> steps(Collection<String> runIds) {
    if (runIds.isEmpty()) {
      return Map.of();
    }
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT s.run_id, s.step_id, r.template_name, s.kind FROM step s"
                    + " JOIN run r ON r.id = s.run_id WHERE s.run_id IN (:runs)")
            .setParameter("runs", runIds)
            .getResultList();
    Map<String, Origin> out = new HashMap<>();
    for (Object[] r : rows) {
      out.put(
          r[0] + "/" + r[1],
          new Origin((String) r[0], (String) r[1], (String) r[2], (String) r[3]));
    }
    return out;
  }

  /** The aliases on each artifact, by name; artifacts without any are absent. */
  public Map<String, List<String>> aliasesOf(Collection<String> ids) {
    if (ids.isEmpty()) {
      return Map.of();
    }
    Map<String, List<String>> out = new HashMap<>();
    for (AliasEntity a :
        AliasEntity.<AliasEntity>list("artifactId in ?1", Sort.ascending("name"), ids)) {
      out.computeIfAbsent(a.artifactId, k -> new ArrayList<>()).add(a.name);
    }
    return out;
  }

  /**
   * {@link #evaluations(String, List)} for many checkpoints in one query: each one's succeeded
   * evaluation attempts, newest first.
   */
  public Map<String, List<Evaluation>> evaluationsOf(Collection<String> ids, List<String> kinds) {
    if (ids.isEmpty()) {
      return Map.of();
    }
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT e.from_node, sa.run_id, sa.step_id, sa.attempt, CAST(sa.metrics AS text), sa.finished_at"
                    + " FROM lineage_edge e"
                    + " JOIN step_attempt sa ON e.to_node = 'step:' || sa.run_id || '/' || sa.step_id || '/' || sa.attempt"
                    + " JOIN step s ON s.run_id = sa.run_id AND s.step_id = sa.step_id"
                    + " WHERE e.from_node IN (:nodes) AND e.role = 'input:model' AND s.kind IN (:kinds)"
                    + " AND sa.status = 'SUCCEEDED' ORDER BY sa.finished_at DESC")
            .setParameter(
                "nodes", ids.stream().map(id -> LineageNode.artifact(id).format()).toList())
            .setParameter("kinds", kinds)
            .getResultList();
    Map<String, List<Evaluation>> out = new HashMap<>();
    for (Object[] row : rows) {
      String id = LineageNode.parse((String) row[0]).id();
      out.computeIfAbsent(id, k -> new ArrayList<>())
          .add(
              new Evaluation(
                  (String) row[1],
                  (String) row[2],
                  ((Number) row[3]).intValue(),
                  (String) row[4],
                  row[5] instanceof Instant i
                      ? i.atOffset(ZoneOffset.UTC)
                      : (OffsetDateTime) row[5]));
    }
    return out;
  }
}
