package dev.trainyard.backend.triggers;

import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What launched a run: the trigger, the event, and what the event was about (the run that ended,
 * the dataset version or checkpoint an alias points at); {@code depth} counts the triggered runs in
 * the chain up to this one (1 when a person's run or a dataset started it).
 */
public record TriggeredBy(
    String trigger,
    String event,
    String eventType,
    @Schema(nullable = true) String sourceRun,
    @Schema(nullable = true) String sourceArtifact,
    int depth) {

  public Map<String, Object> asMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("trigger", trigger);
    map.put("event", event);
    map.put("eventType", eventType);
    map.put("sourceRun", sourceRun);
    map.put("sourceArtifact", sourceArtifact);
    map.put("depth", depth);
    return map;
  }

  public static TriggeredBy of(Map<String, Object> map) {
    if (map == null) {
      return null;
    }
    return new TriggeredBy(
        (String) map.get("trigger"),
        (String) map.get("event"),
        (String) map.get("eventType"),
        (String) map.get("sourceRun"),
        (String) map.get("sourceArtifact"),
        map.get("depth") instanceof Number n ? n.intValue() : 1);
  }
}
