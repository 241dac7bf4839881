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
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Paths;
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
 * Datasets are artifacts registered by URI and content hash. A local file is hashed on registration
 * and refused if it does not match, so lineage never records a hash that is not the content's.
 */
@Path("/api/v1/datasets")
@Produces(MediaType.APPLICATION_JSON)
public class DatasetsResource {
  @jakarta.inject.Inject ArtifactsResource artifacts;
  @jakarta.inject.Inject dev.trainyard.backend.security.TeamScope scope;
  @jakarta.inject.Inject dev.trainyard.backend.config.TrainyardConfig config;

  public record RegisterBody(String name, String uri, String sha256, String team) {}

  @Operation(summary = "Register a dataset",
      description = "Registers a file or S3 object by URI and content hash; a local file is hashed and refused if it does not match.")
  @APIResponse(responseCode = "201", description = "The dataset was registered (or already was, under this name)",
      content = @Content(schema = @Schema(implementation = ArtifactsResource.ArtifactView.class)))
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response register(RegisterBody body) {
    if (body == null) {
      throw ApiProblem.badRequest("$", "a JSON body {name, uri, sha256} is required");
    }
    List<FieldError> problems = new ArrayList<>();
    if (body.name() == null || !body.name().matches("[a-z0-9][a-z0-9._-]{0,127}")) {
      problems.add(new FieldError("name", "required; lowercase letters, digits, '.', '_' and '-' (max 128)"));
    }
    if (body.sha256() == null || !body.sha256().matches("[0-9a-f]{64}")) {
      problems.add(new FieldError("sha256", "required; 64 lowercase hex characters"));
    }
    URI uri = null;
    try {
      uri = body.uri() == null ? null : URI.create(body.uri());
    } catch (IllegalArgumentException e) {
      problems.add(new FieldError("uri", "not a URI: " + e.getMessage()));
    }
    if (body.uri() == null) {
      problems.add(new FieldError("uri", "required"));
    } else if (uri != null && !"file".equals(uri.getScheme()) && !"s3".equals(uri.getScheme())) {
      problems.add(new FieldError("uri", "scheme must be file or s3"));
    }
    long size = 0;
    if (problems.isEmpty() && "file".equals(uri.getScheme())) {
      java.nio.file.Path file = Paths.get(uri);
      if (!Files.isRegularFile(file)) {
        problems.add(new FieldError("uri", "no readable file at " + file));
      } else if (!insideDatasetRoots(file)) {
        problems.add(new FieldError("uri", "must be inside a dataset root " + config.datasets().roots()
            + " (set trainyard.datasets.roots to allow more)"));
      } else {
        try {
          size = Files.size(file);
          String actual = sha256(file);
          if (!actual.equals(body.sha256())) {
            problems.add(new FieldError("sha256", "does not match the file's content (sha256 " + actual + ")"));
          }
        } catch (IOException e) {
          problems.add(new FieldError("uri", "cannot read " + file + ": " + e.getMessage()));
        }
      }
    }
    if (!problems.isEmpty()) {
      throw ApiProblem.invalid(problems);
    }
    long fileSize = size;
    String user = scope.caller().name();
    String team = scope.teamForNew(body.team());
    String fileName = Paths.get(uri.getPath()).getFileName().toString();
    ArtifactEntity created = QuarkusTransaction.requiringNew().call(() -> {
      ArtifactEntity existing = ArtifactEntity.findById(body.sha256());
      if (existing != null) {
        if (body.name().equals(existing.name)) {
          return existing;
        }
        throw ApiProblem.conflict("this content is already registered as '" + existing.name + "' (" + existing.type + ")");
      }
      if (ArtifactEntity.count("type = 'dataset' and name = ?1", body.name()) > 0) {
        throw ApiProblem.conflict("a dataset named '" + body.name() + "' exists with other content");
      }
      ArtifactEntity a = new ArtifactEntity();
      a.id = body.sha256();
      a.type = "dataset";
      a.name = body.name();
      a.uri = body.uri();
      a.sizeBytes = fileSize;
      a.createdAt = OffsetDateTime.now();
      a.createdBy = user;
      a.team = team;
      a.persist();
      ArtifactFileEntity f = new ArtifactFileEntity();
      f.artifactId = a.id;
      f.path = fileName;
      f.sizeBytes = fileSize;
      f.sha256 = body.sha256();
      f.persist();
      return a;
    });
    return Response.status(201).entity(artifacts.get(created.id)).build();
  }

  /** Resolves links and {@code ..} first, so no path escapes the configured roots. */
  private boolean insideDatasetRoots(java.nio.file.Path file) {
    try {
      java.nio.file.Path real = file.toRealPath();
      for (java.nio.file.Path root : config.datasets().roots()) {
        if (Files.isDirectory(root) && real.startsWith(root.toRealPath())) {
          return true;
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  static String sha256(java.nio.file.Path file) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
