package dev.trainyard.backend.triggers;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Read models of triggers and their firings, as the API answers them. */
public final class Triggers {
  private Triggers() {}

  /** The events a trigger can listen to, and the keys its {@code match} may hold. */
  static final Map<String, List<String>> MATCH_KEYS =
      Map.of(
          "dataset.version.registered", List.of("dataset"),
          "alias.moved", List.of("alias"),
          "run.ended", List.of("template", "status"));

  /** The data root each event type's expressions start with. */
  static final Map<String, String> ROOTS =
      Map.of("dataset.version.registered", "dataset", "alias.moved", "alias", "run.ended", "run");

  public record Trigger(
      String id,
      String template,
      @Schema(nullable = true, description = "null: the latest version at each launch")
          Integer templateVersion,
      String team,
      @Schema(enumeration = {"dataset.version.registered", "alias.moved", "run.ended"})
          String event,
      @Schema(description = "dataset name; alias name; template and status of the run")
          Map<String, String> match,
      @Schema(
              description = "Launch parameters: values or ${{ event.* }} expressions",
              additionalProperties = dev.trainyard.backend.api.openapi.ParamValue.class)
          Map<String, Object> params,
      OffsetDateTime createdAt,
      String createdBy) {}

  public record Firing(
      String event,
      @Schema(enumeration = {"PENDING", "LAUNCHED", "FAILED"}) String status,
      int attempts,
      @Schema(nullable = true) String run,
      @Schema(nullable = true) String error,
      OffsetDateTime createdAt) {}
}
