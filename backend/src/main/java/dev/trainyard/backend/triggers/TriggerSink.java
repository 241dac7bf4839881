package dev.trainyard.backend.triggers;

import dev.trainyard.backend.events.DomainEvent;
import dev.trainyard.backend.events.EventSink;
import dev.trainyard.backend.triggers.Triggers.Trigger;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;

/**
 * Records a pending firing for every trigger of the event's team that the event matches; the launch
 * itself is {@link TriggerLauncher}'s, outside the relay's transaction. A firing is keyed by
 * (trigger, event): an event handed out again finds it and adds nothing.
 */
@ApplicationScoped
public class TriggerSink implements EventSink {
  @Inject TriggerRepository repository;

  @Override
  public void accept(DomainEvent event) {
    if (!Triggers.MATCH_KEYS.containsKey(event.type())) {
      return;
    }
    for (Trigger trigger : repository.listening(event.team(), event.type())) {
      // A trigger acts on what happens after it exists, not on a backlog the relay has yet to hand
      // out.
      if (!trigger.createdAt().isAfter(event.occurredAt())
          && matches(trigger.match(), event.data())) {
        repository.insertFiring(trigger.id(), event.id());
      }
    }
  }

  /** Every key of the trigger's match equals the event's value for it. */
  static boolean matches(Map<String, String> match, Map<String, Object> data) {
    return match.entrySet().stream()
        .allMatch(e -> e.getValue().equals(String.valueOf(valueOf(e.getKey(), data))));
  }

  private static Object valueOf(String key, Map<String, Object> data) {
    return switch (key) {
      case "dataset" -> field(data, "dataset", "name");
      case "alias" -> field(data, "alias", "name");
      case "template" -> field(data, "run", "template");
      case "status" -> field(data, "run", "status");
      default -> null;
    };
  }

  private static Object field(Map<String, Object> data, String root, String name) {
    return data.get(root) instanceof Map<?, ?> m ? m.get(name) : null;
  }
}
