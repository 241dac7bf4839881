package dev.trainyard.backend.api.artifacts;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.ApiProblem.FieldError;
import dev.trainyard.backend.api.artifacts.ArtifactsResource.ArtifactView;
import dev.trainyard.backend.audit.AuditRequest;
import dev.trainyard.backend.checkpoints.CheckpointImporter;
import dev.trainyard.backend.checkpoints.CheckpointImporter.Imported;
import dev.trainyard.backend.checkpoints.CheckpointImporter.Request;
import dev.trainyard.backend.checkpoints.CheckpointImporter.Requester;
import dev.trainyard.backend.intake.Intake;
import dev.trainyard.backend.intake.Intake.Staged;
import dev.trainyard.backend.security.TeamScope;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * Checkpoint import (issue 14, item 3): an existing Hugging Face folder — a directory under the
 * data roots, or an uploaded tar — becomes a checkpoint artifact that every checkpoint parameter
 * and picker accepts. The server computes the id from the content; the same content is the same
 * checkpoint.
 */
@Path("/api/v1/checkpoints")
@Produces(MediaType.APPLICATION_JSON)
public class CheckpointsResource {
  @Inject TeamScope scope;
  @Inject Intake intake;
  @Inject CheckpointImporter importer;
  @Inject ArtifactsResource artifacts;
  @Inject AuditRequest request;

  public record ImportBody(
      @Schema(description = "file:///absolute/path of a Hugging Face folder inside the data roots")
          String uri,
      @Schema(nullable = true, description = "a name pickers and launches can use") String name,
      @Schema(nullable = true) String description,
      @Schema(nullable = true) String team) {}

  static final String NO_FOLDER =
      "no readable directory at this URI inside the data roots (trainyard.datasets.roots)";

  private static final String NAME = "[a-z0-9][a-z0-9._-]{0,127}";
  private static final String NAME_RULE =
      "when given: lowercase letters, digits, '.', '_' and '-' (max 128)";
  private static final int MAX_DESCRIPTION = 2000;

  private static final String CHECKS =
      " config.json's model_type must be a supported family (422 listing them otherwise); the weights"
          + " must be safetensors: model.safetensors, or model.safetensors.index.json and every shard it"
          + " lists (headers are read, to count parameters and find the dtype); the tokenizer kind and chat"
          + " template are read from tokenizer.json, tokenizer_config.json and chat_template.jinja. Every"
          + " problem is answered 422 with its file's path and nothing is kept. The same content is the"
          + " checkpoint it already is (200).";

  @Operation(
      summary = "Import a Hugging Face checkpoint folder",
      description =
          "Copies a directory under the data roots (file:/// URI) into the artifact store as a checkpoint."
              + CHECKS)
  @APIResponse(
      responseCode = "201",
      description = "The imported checkpoint",
      content = @Content(schema = @Schema(implementation = ArtifactView.class)))
  @APIResponse(
      responseCode = "200",
      description = "The checkpoint this content already was",
      content = @Content(schema = @Schema(implementation = ArtifactView.class)))
  @POST
  @Path("/import")
  @Consumes(MediaType.APPLICATION_JSON)
  public Response importFolder(ImportBody body) throws IOException {
    if (body == null) {
      throw ApiProblem.badRequest("$", "a JSON body {uri, name?, description?, team?} is required");
    }
    List<FieldError> problems = new ArrayList<>();
    checkLabels(body.name(), body.description(), problems);
    java.nio.file.Path path = null;
    if (body.uri() == null) {
      problems.add(new FieldError("uri", "required"));
    } else {
      path = DatasetUris.localPath(body.uri(), problems);
    }
    if (!problems.isEmpty()) {
      throw ApiProblem.invalid(problems);
    }
    String team = scope.teamForNew(body.team());
    try (Staged staged = intake.stageLocal(path, CheckpointImporter.STAGING)) {
      if (staged == null || staged.singleFile() != null) {
        // A single file is not a checkpoint folder; said as for a missing path, so no oracle.
        throw ApiProblem.invalid(List.of(new FieldError("uri", NO_FOLDER)));
      }
      return imported(staged, new Request(body.name(), body.description(), team, body.uri()));
    } catch (Intake.Rejected e) {
      throw IntakeProblems.invalid(e);
    }
  }

  @Operation(
      summary = "Upload a Hugging Face checkpoint folder",
      description =
          "Streams a tar of the folder (its files at the top, or under one directory) into the artifact"
              + " store as a checkpoint. Bodies over trainyard.datasets.max-upload-size are answered 413 and"
              + " nothing is kept."
              + CHECKS)
  @APIResponse(
      responseCode = "201",
      description = "The imported checkpoint",
      content = @Content(schema = @Schema(implementation = ArtifactView.class)))
  @APIResponse(
      responseCode = "200",
      description = "The checkpoint this content already was",
      content = @Content(schema = @Schema(implementation = ArtifactView.class)))
  @APIResponse(responseCode = "413", description = "The upload is over the size limit")
  @POST
  @Path("/import/upload")
  @Consumes("application/x-tar")
  @RequestBody(
      content =
          @Content(
              mediaType = "application/x-tar",
              schema = @Schema(type = SchemaType.STRING, format = "binary")))
  public Response upload(
      @QueryParam("name") String name,
      @QueryParam("description") String description,
      @QueryParam("team") String team,
      InputStream body)
      throws IOException {
    List<FieldError> problems = new ArrayList<>();
    checkLabels(name, description, problems);
    if (!problems.isEmpty()) {
      throw ApiProblem.invalid(problems);
    }
    String owner = scope.teamForNew(team);
    try (Staged staged = intake.stageTar(body, CheckpointImporter.STAGING)) {
      return imported(
          staged,
          new Request(
              name, description, owner, "upload:" + (name == null ? "checkpoint" : name) + ".tar"));
    } catch (Intake.Rejected e) {
      throw IntakeProblems.invalid(e);
    } catch (Intake.TooLarge e) {
      throw IntakeProblems.tooLarge(e);
    }
  }

  private static void checkLabels(String name, String description, List<FieldError> problems) {
    if (name != null && !name.matches(NAME)) {
      problems.add(new FieldError("name", NAME_RULE));
    }
    if (description != null && description.length() > MAX_DESCRIPTION) {
      problems.add(new FieldError("description", "at most " + MAX_DESCRIPTION + " characters"));
    }
  }

  private Response imported(Staged staged, Request what) throws IOException {
    Imported done;
    try {
      done =
          importer.importStaged(
              staged,
              what,
              new Requester(scope.caller(), request.requestId(), request.clientAddress()));
    } catch (Intake.Conflict e) {
      throw ApiProblem.conflict(e.getMessage());
    }
    return Response.status(done.created() ? 201 : 200)
        .entity(artifacts.view(done.artifact()))
        .build();
  }
}
