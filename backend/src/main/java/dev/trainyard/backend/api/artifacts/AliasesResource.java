package dev.trainyard.backend.api.artifacts;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.catalog.AliasEntity;
import dev.trainyard.backend.catalog.Aliases;
import dev.trainyard.backend.catalog.ArtifactEntity;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Sort;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.OffsetDateTime;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Aliases ({@code production}, {@code candidate}): mutable pointers to immutable artifacts, with
 * history.
 */
@Path("/api/v1/aliases")
@Produces(MediaType.APPLICATION_JSON)
public class AliasesResource {
  @Inject ArtifactsResource artifacts;
  @Inject Aliases aliases;
  @Inject dev.trainyard.backend.cards.ModelCards cards;
  @Inject dev.trainyard.backend.security.TeamScope scope;

  public record AliasView(
      String name,
      String artifactId,
      OffsetDateTime updatedAt,
      @Schema(nullable = true) String updatedBy) {}

  public record MoveBody(String artifact) {}

  public record HistoryEntry(
      String artifactId,
      @Schema(nullable = true) String previousArtifactId,
      OffsetDateTime changedAt,
      @Schema(nullable = true) String changedBy) {}

  /**
   * Alias names are global, but an alias is visible only to those who see the artifact it points at
   * (issue 11, Low): another team's {@code production} and its history stay unknown, like a missing
   * one.
   */
  private boolean visible(String artifactId) {
    ArtifactEntity artifact = artifactId == null ? null : ArtifactEntity.findById(artifactId);
    return artifact != null && scope.caller().sees(artifact.team);
  }

  private AliasEntity visibleAlias(String name) {
    AliasEntity alias = AliasEntity.findById(name);
    if (alias == null || !visible(alias.artifactId)) {
      throw ApiProblem.notFound("no alias '" + name + "'");
    }
    return alias;
  }

  public record AliasList(List<AliasView> items) {}

  /** Every move of one alias, oldest first. */
  public record AliasHistory(List<HistoryEntry> items) {}

  @Operation(summary = "List aliases", description = "Every alias and the artifact it points at.")
  @GET
  public AliasList list() {
    return new AliasList(
        AliasEntity.<AliasEntity>listAll(Sort.by("name")).stream()
            .filter(a -> visible(a.artifactId))
            .map(AliasesResource::view)
            .toList());
  }

  @Operation(
      summary = "Get an alias",
      description = "The artifact an alias points at, and who moved it there when.")
  @GET
  @Path("/{name}")
  public AliasView get(@PathParam("name") String name) {
    return view(visibleAlias(name));
  }

  @Operation(
      summary = "Move an alias",
      description =
          "Points an alias (created if new) at an artifact; audited, and kept in the alias history.")
  @PUT
  @Path("/{name}")
  @Consumes(MediaType.APPLICATION_JSON)
  public AliasView move(@PathParam("name") String name, MoveBody body) {
    if (!name.matches("[a-z][a-z0-9._-]{0,63}")) {
      throw ApiProblem.badRequest(
          "name", "lowercase letters, digits, '.', '_' and '-', starting with a letter");
    }
    if (body == null || body.artifact() == null) {
      throw ApiProblem.badRequest(
          "artifact", "required: the artifact id (or a unique prefix) to point at");
    }
    ArtifactEntity target = artifacts.find(body.artifact());
    if (target.deleted()) {
      throw ApiProblem.conflict(
          "artifact "
              + target.id
              + " was deleted by retention on "
              + target.deletedAt.toLocalDate()
              + "; an alias cannot point at it");
    }
    String user = scope.caller().name();
    AliasView moved =
        QuarkusTransaction.requiringNew()
            .call(
                () -> {
                  try {
                    aliases.move(name, target.id, user);
                  } catch (Aliases.TargetDeleted e) {
                    throw ApiProblem.conflict(
                        "artifact "
                            + target.id
                            + " was deleted by retention a moment ago; an alias cannot point at it");
                  }
                  return view(AliasEntity.findById(name));
                });
    // After the move committed: a promoted checkpoint has a card (ModelCards says when).
    cards.publishQuietly(target.id, user);
    return moved;
  }

  @Operation(summary = "An alias's history", description = "Every move of an alias, oldest first.")
  @GET
  @Path("/{name}/history")
  public AliasHistory history(@PathParam("name") String name) {
    visibleAlias(name);
    return new AliasHistory(
        aliases.history(name).stream()
            .filter(m -> visible(m.artifactId()))
            .map(
                m ->
                    new HistoryEntry(
                        m.artifactId(), m.previousArtifactId(), m.changedAt(), m.changedBy()))
            .toList());
  }

  private static AliasView view(AliasEntity a) {
    return new AliasView(a.name, a.artifactId, a.updatedAt, a.updatedBy);
  }
}
