package dev.trainyard.backend.lineage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The SQL of the lineage graph: edges between nodes stored as {@link LineageNode} text, walked with
 * recursive queries over the indexed edge table. Node text is bound from {@link LineageNode}, so
 * the format lives there. Callers bring the transaction.
 */
@ApplicationScoped
public class LineageRepository {
  private static final String ARTIFACT = LineageNode.Kind.ARTIFACT.prefix();

  @Inject EntityManager em;

  public enum Direction {
    ANCESTORS,
    DESCENDANTS
  }

  public record EdgeRow(LineageNode from, LineageNode to, String role) {}

  /** What the graph shows of an artifact node. */
  public record ArtifactRow(
      String id, String type, String name, String stepId, String outputName, boolean deleted) {}

  /** Idempotent: an edge written again (a retried ledger call) stays one row. */
  public void insertEdge(LineageNode from, LineageNode to, String role) {
    em.createNativeQuery(
            "INSERT INTO lineage_edge (from_node, to_node, role) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")
        .setParameter(1, from.format())
        .setParameter(2, to.format())
        .setParameter(3, role)
        .executeUpdate();
  }

  /** Every edge upstream (ancestors) or downstream (descendants) of the root, oldest first. */
  public List<EdgeRow> walk(LineageNode root, Direction direction) {
    // UNION (not UNION ALL) deduplicates nodes, so diamonds stay small and the walk terminates.
    String sql =
        direction == Direction.ANCESTORS
            ? "WITH RECURSIVE reach(node) AS (SELECT CAST(?1 AS text) UNION "
                + "SELECT e.from_node FROM lineage_edge e JOIN reach r ON e.to_node = r.node) "
                + "SELECT e.from_node, e.to_node, e.role FROM lineage_edge e JOIN reach r ON e.to_node = r.node "
                + "ORDER BY e.created_at, e.from_node"
            : "WITH RECURSIVE reach(node) AS (SELECT CAST(?1 AS text) UNION "
                + "SELECT e.to_node FROM lineage_edge e JOIN reach r ON e.from_node = r.node) "
                + "SELECT e.from_node, e.to_node, e.role FROM lineage_edge e JOIN reach r ON e.from_node = r.node "
                + "ORDER BY e.created_at, e.to_node";
    @SuppressWarnings("unchecked")
    List<Object[]> rows = em.createNativeQuery(sql).setParameter(1, root.format()).getResultList();
    return rows.stream()
        .map(
            r ->
                new EdgeRow(
                    LineageNode.parse((String) r[0]),
                    LineageNode.parse((String) r[1]),
                    (String) r[2]))
        .toList();
  }

  /** The artifacts of these ids that the catalog holds, by id. */
  public Map<String, ArtifactRow> artifacts(Collection<String> ids) {
    Map<String, ArtifactRow> out = new LinkedHashMap<>();
    if (ids.isEmpty()) {
      return out;
    }
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "SELECT id, type, name, step_id, output_name, deleted_at IS NOT NULL FROM artifact WHERE id IN (:ids)")
            .setParameter("ids", ids)
            .getResultList();
    rows.forEach(
        r ->
            out.put(
                (String) r[0],
                new ArtifactRow(
                    (String) r[0],
                    (String) r[1],
                    (String) r[2],
                    (String) r[3],
                    (String) r[4],
                    Boolean.TRUE.equals(r[5]))));
    return out;
  }

  /** Every artifact an aliased artifact was derived from (directly or not) → the alias's name. */
  public Map<String, String> ancestorsOfAliased() {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        em.createNativeQuery(
                "WITH RECURSIVE reach(node, alias) AS (SELECT ?1 || artifact_id, name FROM alias UNION "
                    + "SELECT e.from_node, r.alias FROM lineage_edge e JOIN reach r ON e.to_node = r.node) "
                    + "SELECT substring(node from char_length(?1) + 1), min(alias) FROM reach "
                    + "WHERE starts_with(node, ?1) GROUP BY node")
            .setParameter(1, ARTIFACT)
            .getResultList();
    Map<String, String> out = new LinkedHashMap<>();
    rows.forEach(r -> out.put((String) r[0], (String) r[1]));
    return out;
  }

  /** An alias pointing at the artifact or at anything derived from it, if there is one. */
  public Optional<String> aliasDownstreamOf(String artifactId) {
    @SuppressWarnings("unchecked")
    List<String> names =
        em.createNativeQuery(
                "WITH RECURSIVE reach(node) AS (SELECT CAST(?1 AS text) UNION "
                    + "SELECT e.to_node FROM lineage_edge e JOIN reach r ON e.from_node = r.node) "
                    + "SELECT a.name FROM alias a JOIN reach r ON r.node = ?2 || a.artifact_id LIMIT 1")
            .setParameter(1, LineageNode.artifact(artifactId).format())
            .setParameter(2, ARTIFACT)
            .getResultList();
    return names.stream().findFirst();
  }

  /**
   * The newest live artifact of {@code type} that {@code from} links to with {@code role} (a
   * checkpoint's model card), if any.
   */
  public Optional<String> newestLinked(LineageNode from, String role, String type) {
    @SuppressWarnings("unchecked")
    List<String> ids =
        em.createNativeQuery(
                "SELECT a.id FROM lineage_edge e JOIN artifact a ON e.to_node = ?2 || a.id"
                    + " WHERE e.from_node = ?1 AND e.role = ?3 AND a.type = ?4 AND a.deleted_at IS NULL"
                    + " ORDER BY e.created_at DESC, a.created_at DESC LIMIT 1")
            .setParameter(1, from.format())
            .setParameter(2, ARTIFACT)
            .setParameter(3, role)
            .setParameter(4, type)
            .getResultList();
    return ids.stream().findFirst();
  }

  /** The nodes that are read by {@code to} in {@code role} ({@code input:data} of an attempt). */
  public List<LineageNode> readBy(LineageNode to, String role) {
    @SuppressWarnings("unchecked")
    List<String> from =
        em.createNativeQuery("SELECT from_node FROM lineage_edge WHERE to_node = ?1 AND role = ?2")
            .setParameter(1, to.format())
            .setParameter(2, role)
            .getResultList();
    return from.stream().map(LineageNode::parse).toList();
  }
}
