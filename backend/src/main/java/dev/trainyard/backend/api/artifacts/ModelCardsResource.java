package dev.trainyard.backend.api.artifacts;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.cards.ModelCards;
import dev.trainyard.backend.catalog.ArtifactEntity;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * A checkpoint's model card: the newest one stored, or a new one made from the lineage as it is
 * now. Cards are their own artifacts ({@code model-card}); the checkpoint is never changed.
 */
@Path("/api/v1/artifacts/{ref}/model-card")
@Produces(MediaType.APPLICATION_JSON)
public class ModelCardsResource {
  @Inject ArtifactsResource artifacts;
  @Inject ModelCards cards;
  @Inject dev.trainyard.backend.security.TeamScope scope;

  /**
   * @param artifactId the card's own artifact id
   * @param modelId the checkpoint or adapter it describes
   * @param text the card: {@code README.md} with YAML front matter, as the Hugging Face Hub reads
   *     it
   */
  public record ModelCardView(
      String artifactId, String modelId, OffsetDateTime createdAt, String createdBy, String text) {}

  @Operation(
      summary = "A checkpoint's model card",
      description =
          "The newest stored model card of a checkpoint or adapter (made when an alias moves onto it,"
              + " or by POST); 404 when none was made yet.")
  @GET
  public ModelCardView get(@PathParam("ref") String ref) {
    ArtifactEntity model = artifacts.find(ref);
    ArtifactEntity card =
        cards
            .latest(model.id)
            .orElseThrow(
                () ->
                    ApiProblem.notFound(
                        ModelCards.describes(model.type)
                            ? "artifact "
                                + model.id.substring(0, 12)
                                + " has no model card yet; POST to make one"
                            : "artifact "
                                + model.id.substring(0, 12)
                                + " is a "
                                + model.type
                                + "; model cards describe checkpoints and adapters"));
    return view(model, card);
  }

  @Operation(
      summary = "Make a model card",
      description =
          "Builds the card from the checkpoint's lineage as it is now (datasets and versions, recipe,"
              + " parents, evaluations, who launched it) and stores it as a model-card artifact linked"
              + " to the checkpoint. The same lineage gives the same card.")
  @APIResponse(
      responseCode = "201",
      description = "The stored card",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = ModelCardView.class)))
  @POST
  public Response make(@PathParam("ref") String ref) {
    ArtifactEntity model = artifacts.find(ref);
    if (model.deleted()) {
      throw ApiProblem.conflict(
          "retention deleted artifact " + model.id.substring(0, 12) + "; it gets no new card");
    }
    try {
      ArtifactEntity card = cards.publish(model.id, scope.caller().name());
      return Response.status(201)
          .entity(QuarkusTransaction.requiringNew().call(() -> view(model, card)))
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ModelCardView view(ArtifactEntity model, ArtifactEntity card) {
    try {
      return new ModelCardView(card.id, model.id, card.createdAt, card.createdBy, cards.text(card));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
