package dev.trainyard.backend.triggers;

import dev.trainyard.backend.catalog.TemplateEntity;
import dev.trainyard.backend.common.Refusal.Invalid;
import dev.trainyard.backend.common.Refusal.NotFound;
import dev.trainyard.backend.common.Refusal.Problem;
import dev.trainyard.backend.security.Caller;
import dev.trainyard.backend.triggers.Triggers.Firing;
import dev.trainyard.backend.triggers.Triggers.Trigger;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A template's triggers, in the template's team: whoever sees the template sees its triggers, and
 * only that team's events fire them.
 */
@ApplicationScoped
public class TriggerService {
  private static final SecureRandom RANDOM = new SecureRandom();

  @Inject TriggerRepository repository;

  public record NewTrigger(
      String event, Map<String, String> match, Map<String, Object> params, Integer version) {}

  public Trigger create(String template, NewTrigger request, Caller caller) {
    TemplateEntity owner = visibleTemplate(template, caller);
    List<Problem> problems = new ArrayList<>();
    String type = request.event();
    if (type == null || !Triggers.MATCH_KEYS.containsKey(type)) {
      problems.add(
          new Problem(
              "event", "one of " + Triggers.MATCH_KEYS.keySet().stream().sorted().toList()));
    }
    Map<String, String> match = request.match() == null ? Map.of() : request.match();
    if (type != null && Triggers.MATCH_KEYS.containsKey(type)) {
      List<String> keys = Triggers.MATCH_KEYS.get(type);
      match.forEach(
          (k, v) -> {
            if (!keys.contains(k)) {
              problems.add(new Problem("match." + k, "a " + type + " trigger matches on " + keys));
            } else if (v == null || v.isBlank()) {
              problems.add(new Problem("match." + k, "must not be empty"));
            }
          });
      if (type.equals("alias.moved") && !match.containsKey("alias")) {
        problems.add(new Problem("match.alias", "required: the alias whose moves launch the run"));
      }
      if (type.equals("run.ended") && !match.containsKey("template")) {
        problems.add(
            new Problem("match.template", "required: the template whose runs' ends launch"));
      }
      String root = Triggers.ROOTS.get(type);
      Map<String, Object> params = request.params() == null ? Map.of() : request.params();
      params.forEach(
          (name, value) -> {
            for (String ref : EventBindings.references(value)) {
              if (!ref.startsWith(root + ".")) {
                problems.add(
                    new Problem(
                        "params." + name,
                        "'event." + ref + "': a " + type + " event has event." + root + ".* only"));
              }
            }
          });
    }
    if (request.version() != null
        && dev.trainyard.backend.catalog.TemplateVersionEntity.findById(
                new dev.trainyard.backend.catalog.TemplateVersionEntity.Key(
                    template, request.version()))
            == null) {
      problems.add(
          new Problem(
              "version", "template '" + template + "' has no version " + request.version()));
    }
    if (!problems.isEmpty()) {
      throw new Invalid(problems);
    }
    byte[] random = new byte[12];
    RANDOM.nextBytes(random);
    Trigger trigger =
        new Trigger(
            "trg_" + HexFormat.of().formatHex(random),
            template,
            request.version(),
            owner.team,
            type,
            new LinkedHashMap<>(match),
            request.params() == null ? Map.of() : new LinkedHashMap<>(request.params()),
            OffsetDateTime.now(),
            caller.name());
    QuarkusTransaction.requiringNew().run(() -> repository.insert(trigger));
    return trigger;
  }

  public List<Trigger> list(String template, Caller caller) {
    visibleTemplate(template, caller);
    return QuarkusTransaction.requiringNew().call(() -> repository.ofTemplate(template));
  }

  public void delete(String template, String id, Caller caller) {
    visibleTrigger(template, id, caller);
    QuarkusTransaction.requiringNew().run(() -> repository.delete(id));
  }

  public List<Firing> firings(String template, String id, Caller caller) {
    visibleTrigger(template, id, caller);
    return QuarkusTransaction.requiringNew().call(() -> repository.firings(id));
  }

  private Trigger visibleTrigger(String template, String id, Caller caller) {
    visibleTemplate(template, caller);
    return QuarkusTransaction.requiringNew()
        .call(() -> repository.find(id))
        .filter(t -> t.template().equals(template))
        .orElseThrow(() -> new NotFound("no trigger '" + id + "' on template '" + template + "'"));
  }

  private static TemplateEntity visibleTemplate(String name, Caller caller) {
    TemplateEntity template = TemplateEntity.findById(name);
    if (template == null || !caller.sees(template.team)) {
      throw new NotFound("no template '" + name + "'");
    }
    return template;
  }
}
