package dev.trainyard.backend.templates;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.catalog.TemplateEntity;
import dev.trainyard.backend.catalog.TemplateVersionEntity;
import dev.trainyard.pipeline.Pipelines;
import dev.trainyard.pipeline.spec.PipelineSpec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.util.HexFormat;

/** Pipeline templates: named specs with immutable, numbered versions. */
@ApplicationScoped
public class TemplateService {

  /** Creates a template from a spec (its version 1). The name comes from the spec. */
  @Transactional
  public TemplateVersionEntity create(String specText, String user) {
    PipelineSpec spec = Pipelines.parse(specText);
    if (TemplateEntity.findById(spec.name()) != null) {
      throw ApiProblem.conflict("template '" + spec.name() + "' exists; POST a new version to /api/v1/templates/"
          + spec.name() + "/versions");
    }
    TemplateEntity template = new TemplateEntity();
    template.name = spec.name();
    template.description = spec.description();
    template.team = "default";
    template.createdAt = OffsetDateTime.now();
    template.createdBy = user;
    template.persist();
    return addVersion(template, specText, 1, user);
  }

  /** Adds a new version; the spec's name must be the template's. Same spec as the latest: no new version. */
  @Transactional
  public TemplateVersionEntity newVersion(String name, String specText, String user) {
    TemplateEntity template = TemplateEntity.findById(name);
    if (template == null) {
      throw ApiProblem.notFound("no template named '" + name + "'");
    }
    PipelineSpec spec = Pipelines.parse(specText);
    if (!spec.name().equals(name)) {
      throw ApiProblem.badRequest("name", "the spec is named '" + spec.name() + "', not '" + name + "'");
    }
    TemplateVersionEntity latest = TemplateVersionEntity.latest(name).orElseThrow();
    if (latest.specSha256.equals(sha256(specText))) {
      return latest;
    }
    template.description = spec.description();
    return addVersion(template, specText, latest.version + 1, user);
  }

  /** Creates or updates a bundled template so that its latest version is {@code specText}. */
  @Transactional
  public void ensureBundled(String specText) {
    PipelineSpec spec = Pipelines.parse(specText);
    if (TemplateEntity.findById(spec.name()) == null) {
      create(specText, "trainyard");
    } else {
      newVersion(spec.name(), specText, "trainyard");
    }
  }

  public TemplateVersionEntity version(String name, Integer version) {
    return (version == null ? TemplateVersionEntity.latest(name) : TemplateVersionEntity.get(name, version))
        .orElseThrow(() -> ApiProblem.notFound(
            "no template '" + name + "'" + (version == null ? "" : " version " + version)));
  }

  private TemplateVersionEntity addVersion(TemplateEntity template, String specText, int number, String user) {
    TemplateVersionEntity version = new TemplateVersionEntity();
    version.templateName = template.name;
    version.version = number;
    version.spec = specText;
    version.specSha256 = sha256(specText);
    version.createdAt = OffsetDateTime.now();
    version.createdBy = user;
    version.persist();
    return version;
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
