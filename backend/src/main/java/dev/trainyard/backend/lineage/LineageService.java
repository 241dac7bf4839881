package dev.trainyard.backend.lineage;

import dev.trainyard.backend.catalog.ArtifactRepository;
import dev.trainyard.backend.catalog.ArtifactRepository.Origin;
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
   * <who>}), or null. {@code runId}, {@code stepId}, {@code kind} and {@code template}: the step (a
   * step node) or the producing step (an artifact a step wrote), so a node can be named {@code
   * <template>/<step>}; null otherwise. {@code aliases}: the aliases on an artifact.
   */
  public record Node(
      @Schema(implementation = String.class) LineageNode id,
      String type,
      String label,
      boolean deleted,
      @Schema(nullable = true) String origin,
      @Schema(nullable = true) String runId,
      @Schema(nullable = true) String stepId,
      @Schema(nullable = true) String kind,
      @Schema(nullable = true) String template,
      List<String> aliases) {}

  public record Edge(
      @Schema(implementation = String.class) LineageNode from,
      @Schema(implementation = String.class) LineageNode to,
      String role) {}

  public record Graph(
      @Schema(implementation = String.class) LineageNode root,
      List<Node> nodes,
      List<Edge> edges) {}

  @Inject LineageRepository repository;
  @Inject ArtifactRepository catalog;

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
    Map<String, Origin> origins = catalog.origins(artifacts.keySet());
    Map<String, List<String>> aliases = catalog.aliasesOf(artifacts.keySet());
    Map<String, Origin> steps =
        catalog.steps(
            nodes.stream()
                .filter(n -> !n.isArtifact())
                .map(n -> n.id().split("/")[0])
                .distinct()
                .toList());
    return nodes.stream()
        .map(
            node -> {
              if (!node.isArtifact()) {
                String[] parts = node.id().split("/");
                Origin step = parts.length < 2 ? null : steps.get(parts[0] + "/" + parts[1]);
                return step == null
                    ? new Node(
                        node,
                        "step",
                        node.shortLabel(),
                        false,
                        null,
                        null,
                        null,
                        null,
                        null,
                        List.of())
                    : new Node(
                        node,
                        "step",
                        node.shortLabel(),
                        false,
                        null,
                        step.runId(),
                        step.stepId(),
                        step.kind(),
                        step.template(),
                        List.of());
              }
              ArtifactRow a = artifacts.get(node.id());
              if (a == null) {
                return new Node(
                    node,
                    "artifact",
                    node.shortLabel(),
                    false,
                    null,
                    null,
                    null,
                    null,
                    null,
                    List.of());
              }
              String label =
                  a.name() != null
                      ? a.name()
                      : a.stepId() != null
                          ? a.stepId() + "." + a.outputName() + " " + a.id().substring(0, 12)
                          : node.shortLabel();
              CheckpointImportEntity imported = imports.get(node.id());
              Origin from = origins.get(node.id());
              return new Node(
                  node,
                  a.type(),
                  label,
                  a.deleted(),
                  imported == null ? null : imported.origin(),
                  from == null ? null : from.runId(),
                  from == null ? null : from.stepId(),
                  from == null ? null : from.kind(),
                  from == null ? null : from.template(),
                  aliases.getOrDefault(node.id(), List.of()));
            })
        .toList();
  }
}
