package dev.trainyard.backend.webhooks;

import java.time.OffsetDateTime;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The read models of webhooks, as the API answers them. A subscription's secret is not here. */
public final class Webhooks {
  private Webhooks() {}

  public record Subscription(
      String id,
      String team,
      String url,
      @Schema(description = "Event types, 'run.*' style prefixes, or '*'") List<String> events,
      @Schema(nullable = true) String description,
      OffsetDateTime createdAt,
      String createdBy) {}

  /** One try at delivering: what the receiver answered, or why there was no answer. */
  public record Attempt(
      int attempt,
      OffsetDateTime startedAt,
      long durationMs,
      @Schema(nullable = true) Integer responseStatus,
      @Schema(nullable = true, description = "The first KiB of the answer's body")
          String responseBody,
      @Schema(nullable = true) String error) {}

  /** One event to one subscription, with every attempt so far, oldest first. */
  public record Delivery(
      long id,
      String eventId,
      String eventType,
      @Schema(enumeration = {"PENDING", "SUCCEEDED", "FAILED"}) String status,
      @Schema(nullable = true, description = "When the next attempt is due, while PENDING")
          OffsetDateTime nextAttemptAt,
      @Schema(nullable = true, description = "The delivery this one sends again") Long redeliveryOf,
      OffsetDateTime createdAt,
      List<Attempt> attempts) {}
}
