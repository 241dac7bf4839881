package dev.trainyard.backend.api.templates;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.catalog.TemplateEntity;
import dev.trainyard.backend.catalog.TemplateVersionEntity;
import dev.trainyard.backend.templates.TemplateService;
import dev.trainyard.pipeline.Pipelines;
import dev.trainyard.pipeline.spec.PipelineSpec;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import dev.trainyard.backend.security.TeamScope;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.OffsetDateTime;
import java.util.List;

@Path("/api/v1/templates")
@Produces(MediaType.APPLICATION_JSON)
public class TemplatesResource {
  @Inject TemplateService templates;
  @Inject TeamScope scope;

  public record SpecBody(String spec) {}

  public record TemplateSummary(String name, String description, String team, int latestVersion, OffsetDateTime createdAt) {}

  public record TemplateList(List<TemplateSummary> items) {}

  public record VersionInfo(int version, OffsetDateTime createdAt, String createdBy, String specSha256,
      boolean approved, String approvedBy) {}

  /**
   * @param needs the explicit {@code needs:} as written
   * @param dependsOn every step this one waits for: its needs plus the steps whose outputs it references
   */
  public record StepInfo(String id, String kind, List<String> needs, List<String> dependsOn) {}

  public record ParamInfo(String name, String type, boolean required, @JsonProperty("default") Object defaultValue, String description) {}

  public record TemplateDetail(String name, String description, String team, int latestVersion, int version,
      boolean approved, List<VersionInfo> versions,
      String spec, List<ParamInfo> params, List<StepInfo> steps) {}

  @GET
  public TemplateList list() {
    List<TemplateSummary> items = TemplateEntity.<TemplateEntity>listAll(io.quarkus.panache.common.Sort.by("name")).stream()
        .filter(t -> scope.caller().sees(t.team))
        .map(t -> new TemplateSummary(t.name, t.description, t.team,
            TemplateVersionEntity.latest(t.name).map(v -> v.version).orElse(0), t.createdAt))
        .toList();
    return new TemplateList(items);
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response create(SpecBody body, @QueryParam("team") String team) {
    TemplateVersionEntity version = templates.create(requireSpec(body), scope.caller(), scope.teamForNew(team));
    return Response.status(201).entity(detail(version.templateName, version.version)).build();
  }

  @POST
  @Consumes({"application/yaml", "text/yaml", MediaType.TEXT_PLAIN})
  public Response createFromYaml(String yaml, @QueryParam("team") String team) {
    return create(new SpecBody(yaml), team);
  }

  @POST
  @Path("/{name}/versions")
  @Consumes(MediaType.APPLICATION_JSON)
  public Response newVersion(@PathParam("name") String name, SpecBody body) {
    TemplateVersionEntity version = templates.newVersion(name, requireSpec(body), scope.caller());
    return Response.status(201).entity(detail(name, version.version)).build();
  }

  @POST
  @Path("/{name}/versions")
  @Consumes({"application/yaml", "text/yaml", MediaType.TEXT_PLAIN})
  public Response newVersionFromYaml(@PathParam("name") String name, String yaml) {
    return newVersion(name, new SpecBody(yaml));
  }

  @GET
  @Path("/{name}")
  public TemplateDetail get(@PathParam("name") String name) {
    return detail(name, null);
  }

  /** An admin approves a version containing {@code command} steps, so that operators may launch it. */
  @POST
  @Path("/{name}/versions/{version}/approve")
  public TemplateDetail approve(@PathParam("name") String name, @PathParam("version") int version) {
    templates.approve(name, version, scope.caller());
    return detail(name, version);
  }

  @GET
  @Path("/{name}/versions/{version}")
  public TemplateDetail getVersion(@PathParam("name") String name, @PathParam("version") int version) {
    return detail(name, version);
  }

  private TemplateDetail detail(String name, Integer number) {
    TemplateEntity template = TemplateEntity.findById(name);
    if (template == null || !scope.caller().sees(template.team)) {
      throw ApiProblem.notFound("no template named '" + name + "'");
    }
    TemplateVersionEntity version = templates.version(name, number);
    List<TemplateVersionEntity> versions = TemplateVersionEntity.ofTemplate(name);
    PipelineSpec spec = Pipelines.parse(version.spec);
    return new TemplateDetail(name, template.description, template.team, versions.get(versions.size() - 1).version,
        version.version, version.approvedBy != null,
        versions.stream().map(v -> new VersionInfo(v.version, v.createdAt, v.createdBy, v.specSha256,
            v.approvedBy != null, v.approvedBy)).toList(),
        version.spec,
        spec.params().stream().map(p -> new ParamInfo(p.name(), p.type().name().toLowerCase(), p.required(),
            p.defaultValue(), p.description())).toList(),
        spec.steps().stream().map(s -> new StepInfo(s.id(), s.kind(), s.needs(), List.copyOf(s.dependencies()))).toList());
  }

  private static String requireSpec(SpecBody body) {
    if (body == null || body.spec() == null || body.spec().isBlank()) {
      throw ApiProblem.badRequest("spec", "required: the pipeline spec as YAML or JSON text");
    }
    return body.spec();
  }
}
