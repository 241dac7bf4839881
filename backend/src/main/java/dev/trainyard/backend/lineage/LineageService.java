package dev.trainyard.backend.lineage;

import dev.trainyard.backend.catalog.CheckpointImportEntity;
import dev.trainyard.backend.lineage.LineageRepository.ArtifactRow;
import dev.trainyard.backend.lineage.LineageRepository.EdgeRow;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Lineage graphs: the walk of {@link LineageRepository} with each node described. Edges point from
 * input to consumer to output.
 */
@ApplicationScoped
public class LineageService {
  /**
   * {@code deleted}: an artifact whose files retention deleted; the node stays as a tombstone.
   * {@code origin}: where an artifact that no step wrote came from ({@code imported from <uri> by
   * <who>}), or null.
   */
  public record Node(
      @Schema(implementation = String.class) LineageNode id,
      String type,
      String label,
      boolean deleted,
      @Schema(nullable = true) String origin) {}

  public record Edge(
      @Schema(implementation = String.class) LineageNode from,
      @Schema(implementation = String.class) LineageNode to,
      String role) {}

  public record Graph(
      @Schema(implementation = String.class) LineageNode root,
      List<Node> nodes,
      List<Edge> edges) {}

  @Inject LineageRepository repository;

  public Graph walk(LineageNode root, LineageRepository.Direction direction) {
    List<Edge> edges =
        repository.walk(root, direction).stream()
            .map((EdgeRow e) -> new Edge(e.from(), e.to(), e.role()))
            .toList();
    Set<LineageNode> nodes = new LinkedHashSet<>();
    nodes.add(root);
    edges.forEach(
        e -> {
          nodes.add(e.from());
          nodes.add(e.to());
        });
    return new Graph(root, describe(nodes), edges);
  }

  private List<Node> describe(Set<LineageNode> nodes) {
    Map<String, ArtifactRow> artifacts =
        repository.artifacts(
            nodes.stream().filter(LineageNode::isArtifact).map(LineageNode::id).toList());
    Map<String, CheckpointImportEntity> imports = CheckpointImportEntity.byIds(artifacts.keySet());
    return nodes.stream()
        .map(
            node -> {
              if (!node.isArtifact()) {
                return new Node(node, "step", node.shortLabel(), false, null);
              }
              ArtifactRow a = artifacts.get(node.id());
              if (a == null) {
                return new Node(node, "artifact", node.shortLabel(), false, null);
              }
              String label =
                  a.name() != null
                      ? a.name()
                      : a.stepId() != null
                          ? a.stepId() + "." + a.outputName() + " " + a.id().substring(0, 12)
                          : node.shortLabel();
              CheckpointImportEntity imported = imports.get(node.id());
              return new Node(
                  node, a.type(), label, a.deleted(), imported == null ? null : imported.origin());
            })
        .toList();
  }
}
