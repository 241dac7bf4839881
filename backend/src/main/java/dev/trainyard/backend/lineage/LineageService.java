package dev.trainyard.backend.lineage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lineage queries: recursive SQL over the indexed edge table. Nodes are {@code artifact:<id>} and
 * {@code step:<run>/<step>/<attempt>}; edges point from input to consumer to output.
 */
@ApplicationScoped
public class LineageService {
  public enum Direction {
    ANCESTORS,
    DESCENDANTS
  }

  /** {@code deleted}: an artifact whose files retention deleted; the node stays as a tombstone. */
  public record Node(String id, String type, String label, boolean deleted) {}

  public record Edge(String from, String to, String role) {}

  public record Graph(String root, List<Node> nodes, List<Edge> edges) {}

  @Inject EntityManager em;

  public Graph walk(String rootNode, Direction direction) {
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
    List<Object[]> rows = em.createNativeQuery(sql).setParameter(1, rootNode).getResultList();
    List<Edge> edges =
        rows.stream().map(r -> new Edge((String) r[0], (String) r[1], (String) r[2])).toList();
    Set<String> ids = new LinkedHashSet<>();
    ids.add(rootNode);
    edges.forEach(
        e -> {
          ids.add(e.from());
          ids.add(e.to());
        });
    return new Graph(rootNode, describe(ids), edges);
  }

  private List<Node> describe(Set<String> ids) {
    List<String> artifactIds =
        ids.stream().filter(i -> i.startsWith("artifact:")).map(i -> i.substring(9)).toList();
    Map<String, Object[]> artifacts = new LinkedHashMap<>();
    if (!artifactIds.isEmpty()) {
      @SuppressWarnings("unchecked")
      List<Object[]> rows =
          em.createNativeQuery(
                  "SELECT id, type, name, run_id, step_id, output_name, deleted_at IS NOT NULL FROM artifact WHERE id IN (:ids)")
              .setParameter("ids", artifactIds)
              .getResultList();
      rows.forEach(r -> artifacts.put((String) r[0], r));
    }
    return ids.stream()
        .map(
            id -> {
              if (id.startsWith("artifact:")) {
                Object[] a = artifacts.get(id.substring(9));
                if (a == null) {
                  return new Node(
                      id, "artifact", id.substring(9, Math.min(id.length(), 21)), false);
                }
                String label =
                    a[2] != null
                        ? (String) a[2]
                        : a[4] + "." + a[5] + " " + ((String) a[0]).substring(0, 12);
                return new Node(id, (String) a[1], label, Boolean.TRUE.equals(a[6]));
              }
              String[] parts = id.substring(5).split("/");
              return new Node(
                  id,
                  "step",
                  parts.length == 3 ? parts[0] + " / " + parts[1] + " #" + parts[2] : id,
                  false);
            })
        .toList();
  }
}
