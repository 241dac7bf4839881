package dev.trainyard.backend.api.templates;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.openapi.ParamValue;
import dev.trainyard.backend.audit.NotAChange;
import dev.trainyard.backend.catalog.TemplateEntity;
import dev.trainyard.backend.catalog.TemplateVersionEntity;
import dev.trainyard.backend.security.TeamScope;
import dev.trainyard.backend.templates.TemplateService;
import dev.trainyard.pipeline.Pipelines;
import dev.trainyard.pipeline.spec.PipelineSpec;
import dev.trainyard.pipeline.validate.SpecReader;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.OffsetDateTime;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

@Path("/api/v1/templates")
@Produces(MediaType.APPLICATION_JSON)
public class TemplatesResource {
  @Inject TemplateService templates;
  @Inject TeamScope scope;

  public record SpecBody(String spec) {}

  public record TemplateSummary(
      String name,
      @Schema(nullable = true) String description,
      @Schema(nullable = true) String team,
      int latestVersion,
      OffsetDateTime createdAt) {}

  public record TemplateList(List<TemplateSummary> items) {}

  public record VersionInfo(
      int version,
      OffsetDateTime createdAt,
      @Schema(nullable = true) String createdBy,
      String specSha256,
      boolean approved,
      @Schema(nullable = true) String approvedBy) {}

  /**
   * @param needs the explicit {@code needs:} as written
   * @param dependsOn every step this one waits for: its needs plus the steps whose outputs it
   *     references
   */
  public record StepInfo(String id, String kind, List<String> needs, List<String> dependsOn) {}

  public record ParamInfo(
      String name,
      @Schema(
              enumeration = {
                "string",
                "int",
                "number",
                "boolean",
                "checkpoint",
                "dataset",
                "adapter"
              })
          String type,
      boolean required,
      @JsonProperty("default") @Schema(implementation = ParamValue.class, nullable = true)
          Object defaultValue,
      @Schema(nullable = true) String description) {}

  public record TemplateDetail(
      String name,
      @Schema(nullable = true) String description,
      @Schema(nullable = true) String team,
      int latestVersion,
      int version,
      boolean approved,
      List<VersionInfo> versions,
      String spec,
      List<ParamInfo> params,
      List<StepInfo> steps) {}

  @Operation(
      summary = "List templates",
      description =
          "Every pipeline template the caller's teams may see, by name, with its latest version.")
  @GET
  public TemplateList list() {
    List<TemplateSummary> items =
        TemplateEntity.<TemplateEntity>listAll(io.quarkus.panache.common.Sort.by("name")).stream()
            .filter(t -> scope.caller().sees(t.team))
            .map(
                t ->
                    new TemplateSummary(
                        t.name,
                        t.description,
                        t.team,
                        TemplateVersionEntity.latest(t.name).map(v -> v.version).orElse(0),
                        t.createdAt))
            .toList();
    return new TemplateList(items);
  }

  @Operation(
      summary = "Create a template",
      description =
          "Creates a template from a pipeline spec (YAML or JSON text in spec); it is validated first, every problem answered with its path.")
  @APIResponse(
      responseCode = "201",
      description = "The template was created, as version 1",
      content = @Content(schema = @Schema(implementation = TemplateDetail.class)))
  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response create(SpecBody body, @QueryParam("team") String team) {
    TemplateVersionEntity version =
        templates.create(requireSpec(body), scope.caller(), scope.teamForNew(team));
    return Response.status(201).entity(detail(version.templateName, version.version)).build();
  }

  @Operation(
      summary = "Create a template from YAML",
      description = "As the JSON form, with the spec as the request body.")
  @APIResponse(
      responseCode = "201",
      description = "The template was created, as version 1",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = TemplateDetail.class)))
  @POST
  @Consumes({"application/yaml", "text/yaml", MediaType.TEXT_PLAIN})
  public Response createFromYaml(String yaml, @QueryParam("team") String team) {
    return create(new SpecBody(yaml), team);
  }

  @Operation(
      summary = "Add a template version",
      description =
          "Adds the next version of a template from a pipeline spec, validated as on creation.")
  @APIResponse(
      responseCode = "201",
      description = "The new version was created",
      content = @Content(schema = @Schema(implementation = TemplateDetail.class)))
  @POST
  @Path("/{name}/versions")
  @Consumes(MediaType.APPLICATION_JSON)
  public Response newVersion(@PathParam("name") String name, SpecBody body) {
    TemplateVersionEntity version = templates.newVersion(name, requireSpec(body), scope.caller());
    return Response.status(201).entity(detail(name, version.version)).build();
  }

  @Operation(
      summary = "Add a template version from YAML",
      description = "As the JSON form, with the spec as the request body.")
  @APIResponse(
      responseCode = "201",
      description = "The new version was created",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = TemplateDetail.class)))
  @POST
  @Path("/{name}/versions")
  @Consumes({"application/yaml", "text/yaml", MediaType.TEXT_PLAIN})
  public Response newVersionFromYaml(@PathParam("name") String name, String yaml) {
    return newVersion(name, new SpecBody(yaml));
  }

  @Operation(
      summary = "Get a template",
      description =
          "The latest version of a template: its spec, parameters, steps and every version.")
  @GET
  @Path("/{name}")
  public TemplateDetail get(@PathParam("name") String name) {
    return detail(name, null);
  }

  /**
   * An admin approves a version containing {@code command} steps, so that operators may launch it.
   */
  @Operation(
      summary = "Approve a template version",
      description =
          "Admins approve a version containing command steps, so that operators may launch it.")
  @POST
  @Path("/{name}/versions/{version}/approve")
  public TemplateDetail approve(@PathParam("name") String name, @PathParam("version") int version) {
    templates.approve(name, version, scope.caller());
    return detail(name, version);
  }

  @Operation(
      summary = "Get a template version",
      description = "One version of a template: its spec, parameters and steps.")
  @GET
  @Path("/{name}/versions/{version}")
  public TemplateDetail getVersion(
      @PathParam("name") String name, @PathParam("version") int version) {
    return detail(name, version);
  }

  /** One thing wrong with a spec, e.g. {@code steps[1].config.lr}: {@code must be > 0}. */
  public record SpecProblem(String path, String message) {}

  /**
   * What saving this spec would meet, without saving it.
   *
   * @param problems every problem found, each with its path; empty when {@code valid}
   * @param name the spec's name when it has a usable one
   * @param latestVersion the latest version of the template of that name the caller sees, or null:
   *     saving then adds a version instead of creating the template
   * @param needsApproval whether the saved version would wait for an admin's approval (it runs user
   *     code)
   * @param steps the step graph, as far as the spec could be read (partial while it has problems)
   */
  public record Validation(
      boolean valid,
      List<SpecProblem> problems,
      String name,
      Integer latestVersion,
      boolean needsApproval,
      List<StepInfo> steps) {}

  /**
   * Checks a spec as creating a template would and answers with every problem, creating nothing.
   * Operators may call it (as they may create templates); it is not audited, since it changes
   * nothing.
   */
  @org.eclipse.microprofile.openapi.annotations.Operation(
      summary = "Validate a spec without saving it",
      description =
          "Checks a pipeline spec (YAML or JSON text in spec) as creating a template would, and answers "
              + "valid or every problem with its path; creates nothing and is not audited.")
  @POST
  @Path("/validate")
  @Consumes(MediaType.APPLICATION_JSON)
  @NotAChange
  public Validation validate(SpecBody body) {
    SpecReader.Result result = Pipelines.check(requireSpec(body));
    PipelineSpec spec = result.spec();
    List<StepInfo> steps =
        spec == null ? List.of() : spec.steps().stream().map(TemplatesResource::stepInfo).toList();
    Integer latest =
        spec == null || spec.name() == null
            ? null
            : templates.latestVisible(spec.name(), scope.caller());
    return new Validation(
        result.problems().isEmpty(),
        result.problems().stream().map(p -> new SpecProblem(p.path(), p.message())).toList(),
        spec == null ? null : spec.name(),
        latest,
        // Only a readable spec names known kinds; approval is a question about what would be saved.
        result.problems().isEmpty() && TemplateService.needsApproval(spec, scope.caller()),
        steps);
  }

  @org.eclipse.microprofile.openapi.annotations.Operation(
      summary = "Validate a YAML spec without saving it",
      description = "As the JSON form, with the spec as the request body.")
  @POST
  @Path("/validate")
  @Consumes({"application/yaml", "text/yaml", MediaType.TEXT_PLAIN})
  @NotAChange
  public Validation validateYaml(String yaml) {
    return validate(new SpecBody(yaml));
  }

  private TemplateDetail detail(String name, Integer number) {
    TemplateEntity template = TemplateEntity.findById(name);
    if (template == null || !scope.caller().sees(template.team)) {
      throw ApiProblem.notFound("no template named '" + name + "'");
    }
    TemplateVersionEntity version = templates.version(name, number);
    List<TemplateVersionEntity> versions = TemplateVersionEntity.ofTemplate(name);
    PipelineSpec spec = Pipelines.parse(version.spec);
    return new TemplateDetail(
        name,
        template.description,
        template.team,
        versions.get(versions.size() - 1).version,
        version.version,
        version.approvedBy != null,
        versions.stream()
            .map(
                v ->
                    new VersionInfo(
                        v.version,
                        v.createdAt,
                        v.createdBy,
                        v.specSha256,
                        v.approvedBy != null,
                        v.approvedBy))
            .toList(),
        version.spec,
        spec.params().stream()
            .map(
                p ->
                    new ParamInfo(
                        p.name(),
                        p.type().name().toLowerCase(),
                        p.required(),
                        p.defaultValue(),
                        p.description()))
            .toList(),
        spec.steps().stream().map(TemplatesResource::stepInfo).toList());
  }

  private static StepInfo stepInfo(dev.trainyard.pipeline.spec.StepSpec s) {
    return new StepInfo(s.id(), s.kind(), s.needs(), List.copyOf(s.dependencies()));
  }

  private static String requireSpec(SpecBody body) {
    if (body == null || body.spec() == null || body.spec().isBlank()) {
      throw ApiProblem.badRequest("spec", "required: the pipeline spec as YAML or JSON text");
    }
    return body.spec();
  }
}
