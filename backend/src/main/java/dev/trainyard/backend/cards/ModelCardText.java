package dev.trainyard.backend.cards;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders {@link CardFacts} as a Hugging Face model card: YAML front matter with the keys of the
 * Hub's card metadata ({@code tags}, {@code datasets}, {@code base_model}, {@code model-index} with
 * its eval results) plus a {@code trainyard} block with what the Hub has no key for, then a
 * Markdown body. Pure: the same facts give the same bytes.
 */
public final class ModelCardText {
  private static final YAMLMapper YAML =
      new YAMLMapper(
          YAMLFactory.builder()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
              .build());

  private ModelCardText() {}

  public static String render(CardFacts f) {
    return "---\n" + frontMatter(f) + "---\n\n" + body(f);
  }

  static String frontMatter(CardFacts f) {
    Map<String, Object> meta = new LinkedHashMap<>();
    List<String> tags = new ArrayList<>(List.of("trainyard", f.type()));
    if (f.run() != null && f.run().stepKind() != null && !tags.contains(f.run().stepKind())) {
      tags.add(f.run().stepKind());
    }
    meta.put("tags", tags);
    if (!f.datasets().isEmpty()) {
      meta.put("datasets", f.datasets().stream().map(CardFacts.Dataset::ref).toList());
    }
    if (!f.parents().isEmpty()) {
      List<String> bases = f.parents().stream().map(CardFacts.Parent::label).toList();
      meta.put("base_model", bases.size() == 1 ? bases.get(0) : bases);
    }
    if (!f.evals().isEmpty()) {
      meta.put("model-index", List.of(Map.of("name", title(f), "results", results(f))));
    }
    Map<String, Object> trainyard = new LinkedHashMap<>();
    trainyard.put("checkpoint", f.checkpointId());
    trainyard.put("team", f.team());
    if (f.run() != null) {
      Map<String, Object> run = new LinkedHashMap<>();
      run.put("id", f.run().id());
      run.put("template", f.run().template());
      run.put("template_version", f.run().templateVersion());
      run.put("step", f.run().stepId());
      run.put("kind", f.run().stepKind());
      run.put("launched_by", f.run().launchedBy());
      if (f.run().triggeredBy() != null) {
        run.put("triggered_by", f.run().triggeredBy());
      }
      trainyard.put("run", run);
    } else {
      trainyard.put("registered_by", f.createdBy());
    }
    trainyard.put(
        "datasets",
        f.datasets().stream()
            .map(
                d -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("name", d.name());
                  m.put("version", d.version());
                  m.put("id", d.artifactId());
                  return m;
                })
            .toList());
    trainyard.put(
        "parents",
        f.parents().stream()
            .map(
                p -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("id", p.artifactId());
                  m.put("type", p.type());
                  if (p.name() != null) {
                    m.put("name", p.name());
                  }
                  return m;
                })
            .toList());
    meta.put("trainyard", trainyard);
    try {
      return YAML.writeValueAsString(meta);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One result per evaluation set, as the Hub's {@code model-index} spells them. */
  private static List<Map<String, Object>> results(CardFacts f) {
    Map<String, List<CardFacts.Eval>> bySet = new LinkedHashMap<>();
    for (CardFacts.Eval e : f.evals()) {
      String set = e.dataset() != null ? e.dataset() : e.suite();
      bySet.computeIfAbsent(set, k -> new ArrayList<>()).add(e);
    }
    List<Map<String, Object>> out = new ArrayList<>();
    bySet.forEach(
        (set, evals) -> {
          Map<String, Object> result = new LinkedHashMap<>();
          result.put("task", Map.of("type", "text-generation"));
          int colon = set.indexOf(':');
          result.put(
              "dataset", Map.of("name", set, "type", colon < 0 ? set : set.substring(0, colon)));
          result.put(
              "metrics",
              evals.stream()
                  .map(
                      e -> {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("type", e.metric());
                        m.put("value", e.value());
                        m.put("name", e.suite() + "/" + e.metric());
                        return m;
                      })
                  .toList());
          out.add(result);
        });
    return out;
  }

  private static String title(CardFacts f) {
    return f.name() != null ? f.name() : f.type() + "-" + f.checkpointId().substring(0, 12);
  }

  private static String body(CardFacts f) {
    StringBuilder md = new StringBuilder();
    md.append("# ").append(title(f)).append("\n\n");
    md.append("A ")
        .append(f.type())
        .append(" in the Trainyard catalog, content id `")
        .append(f.checkpointId())
        .append("` (sha256 of its manifest), team `")
        .append(f.team())
        .append("`.\n\n");
    md.append("## Recipe\n\n");
    if (f.run() != null) {
      CardFacts.Run r = f.run();
      md.append("Written by step `")
          .append(r.stepId())
          .append("` (kind `")
          .append(r.stepKind())
          .append("`) of run `")
          .append(r.id())
          .append("`, template `")
          .append(r.template())
          .append("` version ")
          .append(r.templateVersion())
          .append(", launched by `")
          .append(r.launchedBy())
          .append('`');
      if (r.triggeredBy() != null) {
        md.append(" (triggered by ").append(r.triggeredBy()).append(')');
      }
      md.append(".\n\n");
    } else {
      md.append("Registered directly by `")
          .append(f.createdBy())
          .append("`, not written by a pipeline run.\n\n");
    }
    md.append("## Training data\n\n");
    if (f.datasets().isEmpty()) {
      md.append("No registered dataset version upstream.\n\n");
    } else {
      md.append("| Dataset | Version | Format | Records | Content id |\n|---|---|---|---|---|\n");
      for (CardFacts.Dataset d : f.datasets()) {
        md.append("| ")
            .append(d.name())
            .append(" | v")
            .append(d.version())
            .append(" | ")
            .append(d.format())
            .append(" | ")
            .append(d.records())
            .append(" | `")
            .append(d.artifactId(), 0, 12)
            .append("` |\n");
      }
      md.append('\n');
    }
    md.append("## Parents\n\n");
    if (f.parents().isEmpty()) {
      md.append("None: trained from scratch or imported.\n\n");
    } else {
      for (CardFacts.Parent p : f.parents()) {
        md.append("- ")
            .append(p.label())
            .append(" (")
            .append(p.type())
            .append(", `")
            .append(p.artifactId())
            .append("`)\n");
      }
      md.append('\n');
    }
    md.append("## Evaluation\n\n");
    if (f.evals().isEmpty()) {
      md.append("No eval results recorded.\n");
    } else {
      md.append("| Suite | Metric | Value | Eval set | Run/step |\n|---|---|---|---|---|\n");
      for (CardFacts.Eval e : f.evals()) {
        md.append("| ")
            .append(e.suite())
            .append(" | ")
            .append(e.metric())
            .append(" | ")
            .append(e.value())
            .append(" | ")
            .append(e.dataset() == null ? "-" : e.dataset())
            .append(" | `")
            .append(e.runId())
            .append('/')
            .append(e.stepId())
            .append("` |\n");
      }
    }
    return md.toString();
  }
}
