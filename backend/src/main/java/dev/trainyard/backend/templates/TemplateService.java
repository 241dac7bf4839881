package dev.trainyard.backend.templates;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.catalog.TemplateEntity;
import dev.trainyard.backend.catalog.TemplateVersionEntity;
import dev.trainyard.backend.common.Sha256;
import dev.trainyard.backend.security.Caller;
import dev.trainyard.pipeline.Pipelines;
import dev.trainyard.pipeline.spec.PipelineSpec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.OffsetDateTime;
import java.util.Set;

/** Pipeline templates: named specs with immutable, numbered versions. */
@ApplicationScoped
public class TemplateService {
  /** Bundled templates are installed as this admin identity. */
  static final Caller BUNDLER = new Caller("trainyard", Set.of(Caller.ADMIN), Set.of("default"));

  /** Creates a template from a spec (its version 1). The name comes from the spec. */
  @Transactional
  public TemplateVersionEntity create(String specText, Caller caller, String team) {
    PipelineSpec spec = Pipelines.parse(specText);
    TemplateEntity existing = TemplateEntity.findById(spec.name());
    if (existing != null && !caller.sees(existing.team)) {
      // Names are global; another team's template is not described (issue 11, Low).
      throw ApiProblem.conflict("the template name '" + spec.name() + "' is taken; choose another");
    }
    if (existing != null) {
      throw ApiProblem.conflict(
          "template '"
              + spec.name()
              + "' exists; POST a new version to /api/v1/templates/"
              + spec.name()
              + "/versions");
    }
    TemplateEntity template = new TemplateEntity();
    template.name = spec.name();
    template.description = spec.description();
    template.team = team;
    template.createdAt = OffsetDateTime.now();
    template.createdBy = caller.name();
    template.persist();
    return addVersion(template, spec, specText, 1, caller);
  }

  /**
   * Adds a new version; the spec's name must be the template's. Same spec as the latest: no new
   * version.
   */
  @Transactional
  public TemplateVersionEntity newVersion(String name, String specText, Caller caller) {
    TemplateEntity template = TemplateEntity.findById(name);
    if (template == null || !caller.sees(template.team)) {
      throw ApiProblem.notFound("no template named '" + name + "'");
    }
    PipelineSpec spec = Pipelines.parse(specText);
    if (!spec.name().equals(name)) {
      throw ApiProblem.badRequest(
          "name", "the spec is named '" + spec.name() + "', not '" + name + "'");
    }
    TemplateVersionEntity latest = TemplateVersionEntity.latest(name).orElseThrow();
    if (latest.specSha256.equals(Sha256.of(specText))) {
      return latest;
    }
    template.description = spec.description();
    return addVersion(template, spec, specText, latest.version + 1, caller);
  }

  /** Creates or updates a bundled template so that its latest version is {@code specText}. */
  @Transactional
  public void ensureBundled(String specText) {
    PipelineSpec spec = Pipelines.parse(specText);
    if (TemplateEntity.findById(spec.name()) == null) {
      create(specText, BUNDLER, "default");
    } else {
      newVersion(spec.name(), specText, BUNDLER);
    }
  }

  public TemplateVersionEntity version(String name, Integer version) {
    return (version == null
            ? TemplateVersionEntity.latest(name)
            : TemplateVersionEntity.get(name, version))
        .orElseThrow(
            () ->
                ApiProblem.notFound(
                    "no template '" + name + "'" + (version == null ? "" : " version " + version)));
  }

  /**
   * Approves a version that contains {@code command} steps; admins only (checked by the access
   * rules).
   */
  @Transactional
  public TemplateVersionEntity approve(String name, int number, Caller caller) {
    TemplateVersionEntity version = version(name, number);
    if (version.approvedBy == null) {
      version.approvedBy = caller.name();
      version.approvedAt = OffsetDateTime.now();
    }
    return version;
  }

  /**
   * Whether a version of {@code spec} saved by {@code caller} would wait for an admin's approval.
   */
  public static boolean needsApproval(PipelineSpec spec, Caller caller) {
    return !caller.isAdmin() && runsArbitraryCode(spec);
  }

  /** The latest version of the template {@code name} if the caller sees it, else null. */
  public Integer latestVisible(String name, Caller caller) {
    TemplateEntity template = TemplateEntity.findById(name);
    if (template == null || !caller.sees(template.team)) {
      return null;
    }
    return TemplateVersionEntity.latest(name).map(v -> v.version).orElse(null);
  }

  /**
   * Kinds that run the author's code on workers (e.g. {@code command}): only an admin's template
   * version may contain them unapproved.
   */
  static boolean runsArbitraryCode(PipelineSpec spec) {
    return spec.steps().stream()
        .anyMatch(s -> dev.trainyard.pipeline.kind.StepKinds.of(s.kind()).runsUserCode());
  }

  private TemplateVersionEntity addVersion(
      TemplateEntity template, PipelineSpec spec, String specText, int number, Caller caller) {
    String user = caller.name();
    TemplateVersionEntity version = new TemplateVersionEntity();
    version.templateName = template.name;
    version.version = number;
    version.spec = specText;
    version.specSha256 = Sha256.of(specText);
    version.createdAt = OffsetDateTime.now();
    version.createdBy = user;
    if (!needsApproval(spec, caller)) {
      version.approvedBy = user;
      version.approvedAt = version.createdAt;
    }
    version.persist();
    return version;
  }
}
