package dev.trainyard.backend.schedules;

import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.api.ApiProblem.FieldError;
import dev.trainyard.backend.catalog.TemplateEntity;
import dev.trainyard.backend.catalog.TemplateVersionEntity;
import dev.trainyard.backend.runs.RunService;
import dev.trainyard.backend.security.Caller;
import dev.trainyard.backend.templates.TemplateService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Schedules on templates: saved only when the cron expression, the zone, the policy, the window and
 * the parameters (checked as a launch would check them) are all valid, every problem answered with
 * its path. A schedule belongs to its template's team; whoever sees the template sees its
 * schedules.
 */
@ApplicationScoped
public class ScheduleService {
  /** When a schedule names no window: a nightly job missed by a short outage still runs. */
  public static final long DEFAULT_CATCHUP_WINDOW_SECONDS = 3600;

  private static final SecureRandom RANDOM = new SecureRandom();

  @Inject ScheduleRepository repository;
  @Inject ScheduleEngine engine;
  @Inject TemplateService templates;
  @Inject RunService runs;

  /** What a user sends to create or replace a schedule. */
  public record Definition(
      String cron,
      String timeZone,
      Integer templateVersion,
      Map<String, Object> params,
      String overlapPolicy,
      Long catchupWindowSeconds,
      Boolean paused) {}

  public Schedule create(String templateName, Definition d, Caller caller) {
    TemplateEntity template = visibleTemplate(templateName, caller);
    Valid v = validate(template, d, caller);
    Instant now = Instant.now();
    Schedule schedule =
        new Schedule(
            newId(),
            template.name,
            d.templateVersion(),
            v.cron().expression(),
            v.cron().zone().getId(),
            params(d),
            v.policy(),
            v.window(),
            Boolean.TRUE.equals(d.paused()),
            null,
            template.team,
            caller.name(),
            now,
            now);
    QuarkusTransaction.joiningExisting()
        .run(
            () -> {
              repository.insert(schedule);
              engine.changed(schedule);
            });
    return get(templateName, schedule.id(), caller);
  }

  public Schedule replace(String templateName, String id, Definition d, Caller caller) {
    Schedule old = get(templateName, id, caller);
    Valid v = validate(visibleTemplate(templateName, caller), d, caller);
    Schedule changed =
        new Schedule(
            id,
            old.template(),
            d.templateVersion(),
            v.cron().expression(),
            v.cron().zone().getId(),
            params(d),
            v.policy(),
            v.window(),
            d.paused() == null ? old.paused() : d.paused(),
            old.nextTickAt(),
            old.team(),
            old.createdBy(),
            old.createdAt(),
            old.updatedAt());
    return store(templateName, changed, caller);
  }

  public Schedule setPaused(String templateName, String id, boolean paused, Caller caller) {
    Schedule old = get(templateName, id, caller);
    if (old.paused() == paused) {
      return old;
    }
    return store(templateName, withPaused(old, paused), caller);
  }

  public void delete(String templateName, String id, Caller caller) {
    get(templateName, id, caller);
    QuarkusTransaction.joiningExisting()
        .run(
            () -> {
              repository.delete(id);
              engine.deleted(id);
            });
  }

  public Schedule get(String templateName, String id, Caller caller) {
    visibleTemplate(templateName, caller);
    return QuarkusTransaction.joiningExisting()
        .call(() -> repository.get(id))
        .filter(s -> s.template().equals(templateName))
        .orElseThrow(
            () ->
                ApiProblem.notFound("no schedule '" + id + "' on template '" + templateName + "'"));
  }

  public List<Schedule> list(String templateName, Caller caller) {
    visibleTemplate(templateName, caller);
    return repository.ofTemplate(templateName);
  }

  public List<Tick> ticks(
      String templateName, String id, Instant before, int limit, Caller caller) {
    get(templateName, id, caller);
    return repository.ticksOf(id, before, limit);
  }

  private Schedule store(String templateName, Schedule s, Caller caller) {
    QuarkusTransaction.joiningExisting()
        .run(
            () -> {
              repository.update(s);
              engine.changed(s);
            });
    return get(templateName, s.id(), caller);
  }

  private record Valid(CronSchedule cron, OverlapPolicy policy, long window) {}

  private Valid validate(TemplateEntity template, Definition d, Caller caller) {
    if (d == null) {
      throw ApiProblem.badRequest(
          "$",
          "a JSON body {cron, timeZone, params?, overlapPolicy?, catchupWindowSeconds?} is required");
    }
    List<FieldError> problems = new ArrayList<>();
    List<CronSchedule.Problem> cronProblems = new ArrayList<>();
    CronSchedule cron = CronSchedule.parse(d.cron(), d.timeZone(), cronProblems);
    cronProblems.forEach(p -> problems.add(new FieldError(p.field(), p.message())));
    OverlapPolicy policy = OverlapPolicy.SKIP;
    if (d.overlapPolicy() != null) {
      try {
        policy = OverlapPolicy.valueOf(d.overlapPolicy().trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        problems.add(
            new FieldError(
                "overlapPolicy", "must be one of SKIP, BUFFER_ONE, ALLOW (default SKIP)"));
      }
    }
    long window =
        d.catchupWindowSeconds() == null
            ? DEFAULT_CATCHUP_WINDOW_SECONDS
            : d.catchupWindowSeconds();
    if (window < 0) {
      problems.add(new FieldError("catchupWindowSeconds", "must be 0 or more"));
    }
    TemplateVersionEntity version = null;
    try {
      version = templates.version(template.name, d.templateVersion());
    } catch (ApiProblem notFound) {
      problems.add(new FieldError("templateVersion", notFound.getMessage()));
    }
    if (version != null) {
      // The parameters as the schedule will launch them: a schedule that could never launch is
      // refused now, not at 2 a.m.
      problems.addAll(runs.problems(version, params(d), launcherOf(template)));
    }
    if (!problems.isEmpty()) {
      throw ApiProblem.invalid(problems);
    }
    return new Valid(cron, policy, window);
  }

  /** The rights a tick launches with (TickLauncher): an operator of the template's team. */
  private static Caller launcherOf(TemplateEntity template) {
    return new Caller(
        "schedule", java.util.Set.of(Caller.OPERATOR), java.util.Set.of(template.team));
  }

  private static TemplateEntity visibleTemplate(String name, Caller caller) {
    TemplateEntity template = TemplateEntity.findById(name);
    if (template == null || !caller.sees(template.team)) {
      throw ApiProblem.notFound("no template named '" + name + "'");
    }
    return template;
  }

  private static Map<String, Object> params(Definition d) {
    return d.params() == null ? Map.of() : d.params();
  }

  private static Schedule withPaused(Schedule s, boolean paused) {
    return new Schedule(
        s.id(),
        s.template(),
        s.templateVersion(),
        s.cron(),
        s.timeZone(),
        s.params(),
        s.overlapPolicy(),
        s.catchupWindowSeconds(),
        paused,
        s.nextTickAt(),
        s.team(),
        s.createdBy(),
        s.createdAt(),
        s.updatedAt());
  }

  private static String newId() {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    return "sch-" + HexFormat.of().formatHex(random);
  }
}
