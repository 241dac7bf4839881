package dev.trainyard.backend.api.artifacts;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.catalog.ArtifactEntity;
import dev.trainyard.backend.catalog.ArtifactFileEntity;
import dev.trainyard.backend.catalog.ArtifactRepository;
import dev.trainyard.backend.catalog.ArtifactRepository.ArtifactFilter;
import dev.trainyard.backend.catalog.ArtifactRepository.Evaluation;
import dev.trainyard.backend.catalog.ArtifactRepository.Measured;
import dev.trainyard.backend.catalog.CheckpointImportEntity;
import dev.trainyard.backend.lineage.LineageNode;
import dev.trainyard.backend.lineage.LineageRepository;
import dev.trainyard.backend.lineage.LineageService;
import dev.trainyard.backend.runs.ArtifactResolver;
import dev.trainyard.backend.security.TeamScope;
import dev.trainyard.pipeline.kind.ArtifactType;
import dev.trainyard.pipeline.kind.StepKinds;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

@Path("/api/v1/artifacts")
@Produces(MediaType.APPLICATION_JSON)
public class ArtifactsResource {
  @Inject LineageService lineage;
  @Inject ArtifactDownloads downloads;
  @Inject TeamScope scope;
  @Inject ArtifactRepository artifacts;
  @Inject com.fasterxml.jackson.databind.ObjectMapper json;

  public record FileView(String path, long sizeBytes, String sha256) {}

  public record Producer(
      String runId,
      String stepId,
      @Schema(nullable = true) Integer attempt,
      @Schema(nullable = true) String output) {}

  public record ArtifactView(
      String id,
      String type,
      @Schema(nullable = true) String name,
      @Schema(nullable = true) String team,
      @Schema(nullable = true) String uri,
      long sizeBytes,
      OffsetDateTime createdAt,
      @Schema(nullable = true) String createdBy,
      @Schema(nullable = true) Producer producedBy,
      List<FileView> files,
      List<String> aliases,
      @Schema(nullable = true) Long parameters,
      @Schema(nullable = true) Double sparsity,
      @Schema(nullable = true) Tombstone deleted,
      @Schema(description = "a failed gate's kept evaluation report") boolean failed,
      @Schema(nullable = true, description = "what an imported checkpoint's files say it is")
          ImportedModel model) {}

  /**
   * An imported checkpoint (POST /api/v1/checkpoints/import): what its files say and where it came
   * from.
   *
   * @param family config.json's model_type
   * @param parameters elements of every tensor in its safetensors weights
   * @param dtype the tensors' dtype ({@code bfloat16}, {@code float32}, ...) or {@code mixed}
   * @param tokenizer {@code byte} (Trainyard's byte tokenizer), {@code hf} (a tokenizer.json) or
   *     {@code none}
   * @param chatTemplate whether tokenizer_config.json or chat_template.jinja carries a chat
   *     template
   * @param origin what lineage says: {@code imported from <source> by <who>}
   */
  public record ImportedModel(
      String family,
      long parameters,
      String dtype,
      String tokenizer,
      boolean chatTemplate,
      @Schema(nullable = true) String description,
      String source,
      String importedBy,
      OffsetDateTime importedAt,
      String origin) {
    static ImportedModel of(CheckpointImportEntity row) {
      return row == null
          ? null
          : new ImportedModel(
              row.family,
              row.parameters,
              row.dtype,
              row.tokenizer,
              row.chatTemplate,
              row.description,
              row.source,
              row.createdBy,
              row.createdAt,
              row.origin());
    }
  }

  /** Present when retention deleted the files; the hashes above still say what they were. */
  public record Tombstone(
      OffsetDateTime at,
      @Schema(nullable = true) String by,
      @Schema(nullable = true) String reason) {}

  /**
   * @param parameters element count of the checkpoint's tensors, and {@code sparsity} the share of
   *     them that are zero, where the producing step measured them (tensor steps do); null
   *     otherwise
   */
  public record ArtifactSummary(
      String id,
      String type,
      @Schema(nullable = true) String name,
      long sizeBytes,
      OffsetDateTime createdAt,
      @Schema(nullable = true) Producer producedBy,
      @Schema(nullable = true) Long parameters,
      @Schema(nullable = true) Double sparsity,
      boolean deleted,
      @Schema(nullable = true, description = "what an imported checkpoint's files say it is")
          ImportedModel model,
      @Schema(nullable = true, description = "the template of the run that wrote it")
          String template,
      @Schema(description = "the aliases pointing at it") List<String> aliases,
      @Schema(nullable = true, description = "its headline score, where an evaluate step scored it")
          BestEval bestEval) {}

  /**
   * A checkpoint's headline score, for naming and sorting it in pickers and the registry: from its
   * newest evaluation, the first of accuracy, exact_match, preference_accuracy, multiple_choice
   * that was measured, else the first other metric by name.
   *
   * @param evaluations how many succeeded evaluations scored it
   */
  public record BestEval(
      String metric,
      double value,
      boolean higherIsBetter,
      String runId,
      String stepId,
      int evaluations) {}

  public record ArtifactList(List<ArtifactSummary> items) {}

  /**
   * @param q a prefix of the name (any case), of the content id, or of an alias pointing at the
   *     artifact: what the launch form's pickers search by
   */
  @Operation(
      summary = "List artifacts",
      description =
          "Checkpoints, datasets and reports the caller may see, newest first; q searches names, ids and aliases by prefix.")
  @GET
  public ArtifactList list(
      @QueryParam("type") String type,
      @QueryParam("limit") @DefaultValue("100") int limit,
      @QueryParam("q") String q) {
    if (limit < 1 || limit > 1000) {
      throw ApiProblem.badRequest("limit", "must be between 1 and 1000");
    }
    if (q != null && q.length() > 200) {
      throw ApiProblem.badRequest("q", "at most 200 characters");
    }
    List<ArtifactEntity> rows =
        artifacts.list(new ArtifactFilter(type, q, scope.visibleTeams()), limit);
    Map<String, Measured> measured =
        artifacts.measured(rows.stream().filter(a -> a.runId != null).map(a -> a.id).toList());
    Map<String, CheckpointImportEntity> imported =
        CheckpointImportEntity.byIds(
            rows.stream().filter(a -> a.runId == null).map(a -> a.id).toList());
    List<String> ids = rows.stream().map(a -> a.id).toList();
    Map<String, ArtifactRepository.Origin> origins =
        artifacts.origins(rows.stream().filter(a -> a.runId != null).map(a -> a.id).toList());
    Map<String, List<String>> aliases = artifacts.aliasesOf(ids);
    Map<String, List<Evaluation>> evaluated =
        artifacts.evaluationsOf(
            rows.stream()
                .filter(a -> ArtifactType.CHECKPOINT.wireName().equals(a.type))
                .map(a -> a.id)
                .toList(),
            StepKinds.producing(ArtifactType.REPORT));
    return new ArtifactList(
        rows.stream()
            .map(
                a -> {
                  Measured m = measured.getOrDefault(a.id, Measured.NONE);
                  CheckpointImportEntity model = imported.get(a.id);
                  return new ArtifactSummary(
                      a.id,
                      a.type,
                      a.name,
                      a.sizeBytes,
                      a.createdAt,
                      producer(a),
                      parameters(m, model),
                      m.sparsity(),
                      a.deleted(),
                      ImportedModel.of(model),
                      origins.containsKey(a.id) ? origins.get(a.id).template() : null,
                      aliases.getOrDefault(a.id, List.of()),
                      bestEval(evaluated.getOrDefault(a.id, List.of())));
                })
            .toList());
  }

  private static final List<String> HEADLINE =
      List.of("accuracy", "exact_match", "preference_accuracy", "multiple_choice");

  private BestEval bestEval(List<Evaluation> evaluations) {
    for (Evaluation newest : evaluations) {
      Map<String, Double> metrics = metricsOf(newest);
      if (metrics.isEmpty()) {
        continue;
      }
      String metric =
          HEADLINE.stream()
              .filter(metrics::containsKey)
              .findFirst()
              .orElseGet(() -> metrics.keySet().stream().sorted().findFirst().orElseThrow());
      return new BestEval(
          metric,
          metrics.get(metric),
          higherIsBetter(metric),
          newest.runId(),
          newest.stepId(),
          evaluations.size());
    }
    return null;
  }

  /** An attempt's final metrics; none where they are missing or not a flat map of numbers. */
  private Map<String, Double> metricsOf(Evaluation row) {
    if (row.metricsJson() == null) {
      return Map.of();
    }
    try {
      return json.readValue(
          row.metricsJson(),
          new com.fasterxml.jackson.core.type.TypeReference<
              java.util.TreeMap<String, Double>>() {});
    } catch (java.io.IOException e) {
      return Map.of();
    }
  }

  private static boolean higherIsBetter(String metric) {
    return !(metric.contains("loss") || metric.contains("perplexity"));
  }

  @Operation(
      summary = "Get an artifact",
      description =
          "An artifact by alias, name or id (prefix): its files with their hashes, producer, aliases and tombstone;"
              + " for an imported checkpoint, what its files say it is and where it came from.")
  @GET
  @Path("/{ref}")
  public ArtifactView get(@PathParam("ref") String ref) {
    return view(find(ref));
  }

  /** The measured count, or else the one an import read from the safetensors headers. */
  private static Long parameters(Measured m, CheckpointImportEntity model) {
    if (m.parameters() != null || model == null) {
      return m.parameters();
    }
    return model.parameters;
  }

  /** One artifact as GET /api/v1/artifacts/{ref} answers it. */
  ArtifactView view(ArtifactEntity a) {
    CheckpointImportEntity model = CheckpointImportEntity.findById(a.id);
    Measured m =
        a.runId == null
            ? Measured.NONE
            : artifacts.measured(List.of(a.id)).getOrDefault(a.id, Measured.NONE);
    return new ArtifactView(
        a.id,
        a.type,
        a.name,
        a.team,
        a.uri,
        a.sizeBytes,
        a.createdAt,
        a.createdBy,
        producer(a),
        ArtifactFileEntity.ofArtifact(a.id).stream()
            .map(f -> new FileView(f.path, f.sizeBytes, f.sha256))
            .toList(),
        artifacts.aliasesOf(a.id),
        parameters(m, model),
        m.sparsity(),
        a.deleted() ? new Tombstone(a.deletedAt, a.deletedBy, a.deletionReason) : null,
        a.failed,
        ImportedModel.of(model));
  }

  /** The canonical manifest text whose sha256 is the artifact id. */
  @Operation(
      summary = "An artifact's manifest",
      description =
          "The canonical manifest text (sha256, size and path per file) whose sha256 is the artifact id.")
  @GET
  @Path("/{ref}/manifest")
  @Produces(MediaType.TEXT_PLAIN)
  public String manifest(@PathParam("ref") String ref) {
    StringBuilder text = new StringBuilder();
    for (ArtifactFileEntity f : ArtifactFileEntity.ofArtifact(find(ref).id)) {
      text.append(f.sha256)
          .append("  ")
          .append(f.sizeBytes)
          .append("  ")
          .append(f.path)
          .append('\n');
    }
    return text.toString();
  }

  @Operation(
      summary = "Download one file of an artifact",
      description =
          "The stored bytes of one manifest file. Single byte ranges (Range: bytes=a-b, a-, -n) answer 206 with"
              + " Content-Range, or 416 when no byte is in range; Repr-Digest (RFC 9530) and X-Content-SHA256"
              + " carry the whole file's sha256 from the manifest.")
  @APIResponse(
      responseCode = "200",
      description = "The whole file",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_OCTET_STREAM,
              schema = @Schema(type = SchemaType.STRING, format = "binary")))
  @APIResponse(
      responseCode = "206",
      description = "The requested byte range",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_OCTET_STREAM,
              schema = @Schema(type = SchemaType.STRING, format = "binary")))
  @APIResponse(responseCode = "416", description = "No byte of the file is in the range")
  @GET
  @Path("/{ref}/files/{path: .+}")
  @Produces(MediaType.APPLICATION_OCTET_STREAM)
  public Response file(
      @PathParam("ref") String ref,
      @PathParam("path") String path,
      @HeaderParam("Range") String range,
      @HeaderParam("If-Range") String ifRange) {
    return downloads.file(find(ref), path, range, ifRange);
  }

  @Operation(
      summary = "Download a whole artifact as tar",
      description =
          "Every manifest file, under its manifest path, in one uncompressed tar streamed as it is read.")
  @APIResponse(
      responseCode = "200",
      description = "The tar",
      content =
          @Content(
              mediaType = ArtifactDownloads.TAR,
              schema = @Schema(type = SchemaType.STRING, format = "binary")))
  @GET
  @Path("/{ref}/archive")
  @Produces(ArtifactDownloads.TAR)
  public Response archive(@PathParam("ref") String ref) {
    return downloads.archive(find(ref));
  }

  @Operation(
      summary = "An artifact's lineage",
      description =
          "Everything upstream (ancestors) or downstream (descendants) of an artifact, as a graph of artifacts and step attempts.")
  @GET
  @Path("/{ref}/lineage")
  public LineageService.Graph lineage(
      @PathParam("ref") String ref,
      @QueryParam("direction") @DefaultValue("ancestors") String direction) {
    LineageRepository.Direction dir =
        switch (direction) {
          case "ancestors" -> LineageRepository.Direction.ANCESTORS;
          case "descendants" -> LineageRepository.Direction.DESCENDANTS;
          default ->
              throw ApiProblem.badRequest("direction", "must be 'ancestors' or 'descendants'");
        };
    return lineage.walk(LineageNode.artifact(find(ref).id), dir);
  }

  public record EvalResult(
      String suite,
      String metric,
      double value,
      boolean higherIsBetter,
      String runId,
      String stepId,
      int attempt,
      OffsetDateTime evaluatedAt) {}

  public record EvalResults(List<EvalResult> items) {}

  /**
   * Every metric a report-producing step ({@code evaluate}) measured on this checkpoint (its model
   * input), newest first.
   */
  @Operation(
      summary = "A checkpoint's evaluations",
      description = "Every metric an evaluate step measured on this checkpoint, newest first.")
  @GET
  @Path("/{ref}/evals")
  public EvalResults evals(@PathParam("ref") String ref) {
    ArtifactEntity artifact = find(ref);
    List<EvalResult> items = new java.util.ArrayList<>();
    for (Evaluation row :
        artifacts.evaluations(artifact.id, StepKinds.producing(ArtifactType.REPORT))) {
      metricsOf(row)
          .forEach(
              (name, value) -> {
                int slash = name.indexOf('/');
                String suite = slash < 0 ? "all" : name.substring(0, slash);
                String metric = slash < 0 ? name : name.substring(slash + 1);
                items.add(
                    new EvalResult(
                        suite,
                        metric,
                        value,
                        higherIsBetter(metric),
                        row.runId(),
                        row.stepId(),
                        row.attempt(),
                        row.finishedAt()));
              });
    }
    return new EvalResults(items);
  }

  static Producer producer(ArtifactEntity a) {
    return a.runId == null ? null : new Producer(a.runId, a.stepId, a.attempt, a.outputName);
  }

  ArtifactEntity find(String ref) {
    return ArtifactResolver.resolve(ref, null)
        .filter(a -> scope.caller().sees(a.team))
        .orElseThrow(() -> ApiProblem.notFound("no artifact with alias, name or id '" + ref + "'"));
  }
}
