package dev.trainyard.backend.api.kinds;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.pipeline.kind.KindSchemas;
import dev.trainyard.pipeline.kind.StepKind;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.workflow.FailureType;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The step-kind catalogue, published from {@link StepKinds} (the one definition of each kind): each
 * kind's facts and its step as a JSON Schema (draft 2020-12) document, plus the whole pipeline's
 * schema. The template editor and {@code docs/spec-reference.md} read the same generator.
 */
@Path("/api/v1/step-kinds")
@Produces(MediaType.APPLICATION_JSON)
public class StepKindsResource {
  /**
   * @param when the step field that decides whether a step has this output ({@code with `adapter`}:
   *     sft with adapter: produces {@code adapter} instead of {@code model}), or null: always
   */
  public record KindOutput(String name, String type, @Schema(nullable = true) String when) {}

  /**
   * @param execution where its steps run: APPROVAL, BACKEND, WORKER_JAVA, WORKER_PROCESS or
   *     WORKER_TRAINER
   * @param runsUserCode whether a template containing it needs an admin's approval
   * @param example one step in YAML
   * @param schema the step as a JSON Schema 2020-12 document (a free-form tree by nature)
   */
  public record KindInfo(
      String name,
      String description,
      String execution,
      List<KindOutput> outputs,
      boolean cacheable,
      boolean runsUserCode,
      List<String> failures,
      int defaultAttempts,
      String example,
      Map<String, Object> schema) {}

  /**
   * @param dialect the JSON Schema dialect of every schema here
   * @param pipeline the whole spec document as JSON Schema; its steps are one of the kinds' schemas
   */
  public record Catalogue(String dialect, List<KindInfo> kinds, Map<String, Object> pipeline) {}

  // The catalogue is code: computed once.
  private static final Catalogue CATALOGUE =
      new Catalogue(
          KindSchemas.DIALECT,
          StepKinds.all().stream().map(StepKindsResource::info).toList(),
          KindSchemas.pipeline());

  @Operation(
      summary = "List the step kinds",
      description =
          "Every step kind with its facts and its step as JSON Schema (draft 2020-12), and the whole "
              + "pipeline spec's schema; generated from the kind definitions, as docs/spec-reference.md is.")
  @GET
  public Catalogue list() {
    return CATALOGUE;
  }

  @Operation(summary = "Get a step kind", description = "One step kind with its JSON Schema.")
  @GET
  @Path("/{name}")
  public KindInfo get(@PathParam("name") String name) {
    return CATALOGUE.kinds().stream()
        .filter(k -> k.name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                ApiProblem.notFound(
                    "no step kind '" + name + "'; known: " + String.join(", ", StepKinds.names())));
  }

  private static KindInfo info(StepKind kind) {
    return new KindInfo(
        kind.name(),
        kind.description(),
        kind.execution().name(),
        kind.outputs().stream()
            .map(o -> new KindOutput(o.name(), o.type().wireName(), o.condition()))
            .toList(),
        kind.cacheable(),
        kind.runsUserCode(),
        kind.failures().stream().map(FailureType::wireName).toList(),
        kind.defaultAttempts(),
        kind.example(),
        KindSchemas.of(kind));
  }
}
