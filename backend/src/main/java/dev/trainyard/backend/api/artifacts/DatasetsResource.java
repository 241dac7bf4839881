package dev.trainyard.backend.api.artifacts;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.ApiProblem.FieldError;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.ArtifactFileEntity;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * Datasets are artifacts registered by URI. The server hashes the content itself and the hash is
 * the id: a client never chooses an id (issue 11 M1, squatting a step's future output). A client
 * may still send the sha256 it expects; registration is refused if the content differs.
 */
@Path("/api/v1/datasets")
@Produces(MediaType.APPLICATION_JSON)
public class DatasetsResource {
  @jakarta.inject.Inject ArtifactsResource artifacts;
  @jakarta.inject.Inject dev.trainyard.backend.security.TeamScope scope;
  @jakarta.inject.Inject dev.trainyard.backend.config.TrainyardConfig config;

  public record RegisterBody(String name, String uri, String sha256, String team) {}

  /**
   * One message for a file that is missing, unreadable, not regular or outside the dataset roots,
   * so registration is no oracle for what exists on the server.
   */
  static final String NO_DATASET_FILE =
      "no readable regular file at this URI inside the dataset roots (trainyard.datasets.roots)";

  @Operation(
      summary = "Register a dataset",
      description =
          "Registers a local file by its file:/// URI; the server hashes the content (the hash is the id). "
              + "An expected sha256 may be sent: registration is refused if the content differs.")
  @APIResponse(
      responseCode = "201",
      description = "The dataset was registered (or already was, under this name)",
      content = @Content(schema = @Schema(implementation = ArtifactsResource.ArtifactView.class)))
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response register(RegisterBody body) {
    if (body == null) {
      throw ApiProblem.badRequest("$", "a JSON body {name, uri, sha256?} is required");
    }
    List<FieldError> problems = new ArrayList<>();
    if (body.name() == null || !body.name().matches("[a-z0-9][a-z0-9._-]{0,127}")) {
      problems.add(
          new FieldError(
              "name", "required; lowercase letters, digits, '.', '_' and '-' (max 128)"));
    }
    if (body.sha256() != null && !body.sha256().matches("[0-9a-f]{64}")) {
      problems.add(new FieldError("sha256", "64 lowercase hex characters when given"));
    }
    java.nio.file.Path file = null;
    if (body.uri() == null) {
      problems.add(new FieldError("uri", "required"));
    } else {
      file = DatasetUris.localPath(body.uri(), problems);
    }
    long size = 0;
    String contentSha256 = null;
    if (file != null) {
      java.nio.file.Path real = realFileInsideRoots(file);
      if (real == null) {
        problems.add(new FieldError("uri", NO_DATASET_FILE));
      } else {
        try {
          size = Files.size(real);
          contentSha256 = sha256(real);
        } catch (IOException e) {
          problems.add(new FieldError("uri", NO_DATASET_FILE));
        }
      }
    }
    if (contentSha256 != null && body.sha256() != null && !contentSha256.equals(body.sha256())) {
      // The actual hash is not echoed: the caller learns only that its expectation was wrong.
      problems.add(new FieldError("sha256", "does not match the file's content"));
    }
    if (!problems.isEmpty()) {
      throw ApiProblem.invalid(problems);
    }
    long fileSize = size;
    String id = contentSha256;
    String user = scope.caller().name();
    var caller = scope.caller();
    String team = scope.teamForNew(body.team());
    java.nio.file.Path named = file;
    String fileName = named.getFileName().toString();
    ArtifactEntity created =
        QuarkusTransaction.requiringNew()
            .call(
                () -> {
                  ArtifactEntity existing = ArtifactEntity.findById(id);
                  if (existing != null) {
                    if ("dataset".equals(existing.type) && body.name().equals(existing.name)) {
                      return existing;
                    }
                    // Never describe another team's object (issue 11, Low): its name and type stay
                    // unsaid.
                    throw ApiProblem.conflict(
                        caller.sees(existing.team)
                            ? "this content is already registered as '"
                                + existing.name
                                + "' ("
                                + existing.type
                                + ")"
                            : "this content is already registered");
                  }
                  if (ArtifactEntity.count("type = 'dataset' and name = ?1", body.name()) > 0) {
                    throw ApiProblem.conflict(
                        "a dataset named '" + body.name() + "' exists with other content");
                  }
                  ArtifactEntity a = new ArtifactEntity();
                  a.id = id;
                  a.type = "dataset";
                  a.name = body.name();
                  a.uri = named.toUri().toString();
                  a.sizeBytes = fileSize;
                  a.createdAt = OffsetDateTime.now();
                  a.createdBy = user;
                  a.team = team;
                  a.persist();
                  ArtifactFileEntity f = new ArtifactFileEntity();
                  f.artifactId = a.id;
                  f.path = fileName;
                  f.sizeBytes = fileSize;
                  f.sha256 = id;
                  f.persist();
                  return a;
                });
    return Response.status(201).entity(artifacts.get(created.id)).build();
  }

  /**
   * The file's real path (links and {@code ..} resolved) when it is a regular file inside a
   * configured root; null otherwise, for every reason alike.
   */
  private java.nio.file.Path realFileInsideRoots(java.nio.file.Path file) {
    try {
      java.nio.file.Path real = file.toRealPath();
      if (!Files.isRegularFile(real, java.nio.file.LinkOption.NOFOLLOW_LINKS)
          || !Files.isReadable(real)) {
        return null;
      }
      for (java.nio.file.Path root : config.datasets().roots()) {
        if (Files.isDirectory(root) && real.startsWith(root.toRealPath())) {
          return real;
        }
      }
    } catch (IOException | SecurityException e) {
      return null;
    }
    return null;
  }

  static String sha256(java.nio.file.Path file) throws IOException {
    try (InputStream in =
        new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
