package dev.trainyard.backend.api.artifacts;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.ApiProblem.FieldError;
import dev.trainyard.backend.catalog.ArtifactFileEntity;
import dev.trainyard.backend.catalog.ArtifactRepository;
import dev.trainyard.backend.catalog.DatasetVersionEntity;
import dev.trainyard.backend.datasets.DatasetRefs;
import dev.trainyard.backend.datasets.DatasetRegistry;
import dev.trainyard.backend.datasets.DatasetVersionRepository;
import dev.trainyard.backend.intake.Intake;
import dev.trainyard.backend.intake.Intake.Staged;
import dev.trainyard.backend.security.Caller;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * Datasets: named, versioned, content-addressed artifacts. A registration (a file or directory
 * under the data roots, or an upload) is copied into the artifact store, checked record by record
 * and numbered as the name's next version; the server computes the id from the content, a client
 * never chooses it (issue 11 M1).
 */
@Path("/api/v1/datasets")
@Produces(MediaType.APPLICATION_JSON)
public class DatasetsResource {
  @Inject dev.trainyard.backend.security.TeamScope scope;
  @Inject DatasetRegistry registry;
  @Inject Intake intake;
  @Inject DatasetVersionRepository datasetVersions;
  @Inject ArtifactRepository artifacts;
  @Inject dev.trainyard.backend.intake.S3Sources s3;

  public record RegisterBody(
      String name,
      @Schema(
              description =
                  "file:///absolute/path of a file or directory inside the data roots, or"
                      + " s3://bucket/key of an object or prefix inside the S3 dataset roots")
          String uri,
      @Schema(nullable = true, description = "the single file's expected sha256") String sha256,
      @Schema(nullable = true) String team) {}

  public record DatasetFile(
      String path,
      long sizeBytes,
      String sha256,
      @Schema(nullable = true, description = "what the format check found in this file")
          String format,
      @Schema(nullable = true) Long records) {}

  /**
   * @param ref how a launch names exactly this version ({@code corpus:v3})
   * @param format {@code text}, {@code jsonl-text}, {@code chat}, {@code preference}, {@code eval},
   *     {@code instruction}, {@code mixed}, or {@code unchecked} (registered before versions
   *     existed)
   * @param records records (documents, lines, conversations) in all files
   */
  public record DatasetVersionView(
      String id,
      String name,
      String team,
      int version,
      String ref,
      String format,
      long records,
      long sizeBytes,
      String source,
      OffsetDateTime createdAt,
      String createdBy,
      List<String> aliases,
      List<DatasetFile> files) {}

  public record DatasetVersionList(List<DatasetVersionView> items) {}

  /**
   * One message for a path that is missing, unreadable, special or outside the dataset roots, so
   * registration is no oracle for what exists on the server.
   */
  static final String NO_DATASET_FILE =
      "no readable regular file or directory at this URI inside the dataset roots (trainyard.datasets.roots)";

  /** The same for S3: a missing object, a denied bucket and a prefix outside the roots. */
  static final String NO_DATASET_OBJECT =
      "no readable object or prefix at this URI inside the S3 dataset roots (trainyard.datasets.s3-roots)";

  static final String NO_S3_ROOTS =
      "s3 URIs are refused: no S3 dataset roots are configured (trainyard.datasets.s3-roots)";

  private static final String NAME = "[a-z0-9][a-z0-9._-]{0,127}";
  private static final String NAME_RULE =
      "required; lowercase letters, digits, '.', '_' and '-' (max 128)";

  @Operation(
      summary = "Register a dataset version",
      description =
          "Copies a file or directory under the data roots (file:/// URI), or an S3 object or prefix under the"
              + " S3 dataset roots (s3:// URI), into the artifact store, checks every"
              + " record's format (422 naming file, line and field of each bad one; nothing is registered then),"
              + " and records it as the name's next version. The same content under the same name is the version"
              + " it already is.")
  @APIResponse(
      responseCode = "201",
      description = "The version (new, or the one this content already was)",
      content = @Content(schema = @Schema(implementation = DatasetVersionView.class)))
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response register(RegisterBody body) throws IOException {
    if (body == null) {
      throw ApiProblem.badRequest("$", "a JSON body {name, uri, sha256?} is required");
    }
    List<FieldError> problems = new ArrayList<>();
    if (body.name() == null || !body.name().matches(NAME)) {
      problems.add(new FieldError("name", NAME_RULE));
    }
    if (body.sha256() != null && !body.sha256().matches("[0-9a-f]{64}")) {
      problems.add(new FieldError("sha256", "64 lowercase hex characters when given"));
    }
    DatasetUris.Source source = null;
    if (body.uri() == null) {
      problems.add(new FieldError("uri", "required"));
    } else {
      source = DatasetUris.source(body.uri(), problems);
    }
    if (source instanceof DatasetUris.Remote && !s3.configured()) {
      problems.add(new FieldError("uri", NO_S3_ROOTS));
    }
    if (!problems.isEmpty()) {
      throw ApiProblem.invalid(problems);
    }
    String team = scope.teamForNew(body.team());
    try (Staged staged =
        switch (source) {
          case DatasetUris.Local local -> intake.stageLocal(local.path(), DatasetRegistry.STAGING);
          case DatasetUris.Remote remote -> intake.stageS3(remote.uri(), DatasetRegistry.STAGING);
        }) {
      if (staged == null) {
        throw ApiProblem.invalid(
            List.of(
                new FieldError(
                    "uri",
                    source instanceof DatasetUris.Remote ? NO_DATASET_OBJECT : NO_DATASET_FILE)));
      }
      return register(staged, body.name(), team, body.uri(), body.sha256());
    } catch (Intake.Rejected e) {
      throw IntakeProblems.invalid(e);
    }
  }

  @Operation(
      summary = "Upload a dataset version",
      description =
          "Streams the body into the artifact store as the name's next version: one file"
              + " (application/octet-stream, named by `file`, .txt or .jsonl) or a directory as a tar"
              + " (application/x-tar). Bodies over trainyard.datasets.max-upload-size are answered 413 and"
              + " nothing is kept. Checked and versioned like a registration.")
  @APIResponse(
      responseCode = "201",
      description = "The version (new, or the one this content already was)",
      content = @Content(schema = @Schema(implementation = DatasetVersionView.class)))
  @APIResponse(responseCode = "413", description = "The upload is over the size limit")
  @POST
  @Path("/upload")
  @Consumes({MediaType.APPLICATION_OCTET_STREAM, "application/x-tar"})
  @RequestBody(
      content = {
        @Content(
            mediaType = MediaType.APPLICATION_OCTET_STREAM,
            schema =
                @Schema(
                    type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.STRING,
                    format = "binary")),
        @Content(
            mediaType = "application/x-tar",
            schema =
                @Schema(
                    type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.STRING,
                    format = "binary"))
      })
  public Response upload(
      @QueryParam("name") String name,
      @QueryParam("file") String file,
      @QueryParam("team") String team,
      @jakarta.ws.rs.HeaderParam("Content-Type") String contentType,
      InputStream body)
      throws IOException {
    boolean tar =
        contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-tar");
    List<FieldError> problems = new ArrayList<>();
    if (name == null || !name.matches(NAME)) {
      problems.add(new FieldError("name", NAME_RULE));
    }
    if (!tar
        && (file == null
            || !file.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,200}")
            || !(file.endsWith(".txt") || file.endsWith(".jsonl")))) {
      problems.add(
          new FieldError(
              "file", "required for a single file: a plain name ending in .txt or .jsonl"));
    }
    if (!problems.isEmpty()) {
      throw ApiProblem.invalid(problems);
    }
    String owner = scope.teamForNew(team);
    try (Staged staged =
        tar
            ? intake.stageTar(body, DatasetRegistry.STAGING)
            : intake.stageUpload(body, file, DatasetRegistry.STAGING)) {
      return register(staged, name, owner, "upload:" + (tar ? name + ".tar" : file), null);
    } catch (Intake.Rejected e) {
      throw IntakeProblems.invalid(e);
    } catch (Intake.TooLarge e) {
      throw IntakeProblems.tooLarge(e);
    }
  }

  private Response register(Staged staged, String name, String team, String source, String sha256)
      throws IOException {
    Caller caller = scope.caller();
    DatasetRegistry.Registered done;
    try {
      done = registry.register(staged, name, team, caller.name(), source, sha256, caller::sees);
    } catch (Intake.Conflict e) {
      throw ApiProblem.conflict(e.getMessage());
    }
    return Response.status(201).entity(view(done.version())).build();
  }

  @Operation(
      summary = "List dataset versions",
      description =
          "Versions of the datasets the caller may see, newest first; q is a prefix of the name or of the version's id.")
  @GET
  public DatasetVersionList list(
      @QueryParam("q") String q, @QueryParam("limit") @DefaultValue("200") int limit) {
    if (limit < 1 || limit > 1000) {
      throw ApiProblem.badRequest("limit", "must be between 1 and 1000");
    }
    Caller caller = scope.caller();
    List<DatasetVersionEntity> rows =
        datasetVersions.matching(q).stream().filter(v -> caller.sees(v.team)).limit(limit).toList();
    return new DatasetVersionList(rows.stream().map(this::view).toList());
  }

  @Operation(
      summary = "A dataset's versions",
      description = "Every version of one dataset name the caller may see, newest first.")
  @GET
  @Path("/{name}")
  public DatasetVersionList versions(@PathParam("name") String name) {
    List<DatasetVersionEntity> rows = DatasetRefs.versions(name, scope.caller()::sees);
    if (rows.isEmpty()) {
      throw ApiProblem.notFound("no dataset '" + name + "'");
    }
    return new DatasetVersionList(rows.stream().map(this::view).toList());
  }

  @SuppressWarnings("unchecked")
  private DatasetVersionView view(DatasetVersionEntity v) {
    var artifact =
        dev.trainyard.backend.catalog.ArtifactEntity
            .<dev.trainyard.backend.catalog.ArtifactEntity>findById(v.artifactId);
    Map<String, Object> formats = v.fileFormats == null ? Map.of() : v.fileFormats;
    List<DatasetFile> files =
        ArtifactFileEntity.ofArtifact(v.artifactId).stream()
            .map(
                f -> {
                  Map<String, Object> found = (Map<String, Object>) formats.get(f.path);
                  return new DatasetFile(
                      f.path,
                      f.sizeBytes,
                      f.sha256,
                      found == null ? null : (String) found.get("format"),
                      found == null ? null : ((Number) found.get("records")).longValue());
                })
            .toList();
    return new DatasetVersionView(
        v.artifactId,
        v.name,
        v.team,
        v.version,
        v.ref(),
        v.format,
        v.records,
        artifact == null ? 0 : artifact.sizeBytes,
        v.source,
        v.createdAt,
        v.createdBy,
        artifacts.aliasesOf(v.artifactId),
        files);
  }
}
