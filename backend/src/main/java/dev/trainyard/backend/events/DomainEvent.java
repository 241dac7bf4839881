package dev.trainyard.backend.events;

import java.time.OffsetDateTime;
import java.util.Map;

/**
 * One event as the outbox holds it. {@code id} ({@code evt_<hex>}) is unique per event and is the
 * {@code webhook-id} of every delivery of it, retries and redeliveries included.
 */
public record DomainEvent(
    String id, String type, String team, OffsetDateTime occurredAt, Map<String, Object> data) {

  /** The body a webhook delivers: the Standard Webhooks payload shape. */
  public Map<String, Object> payload() {
    Map<String, Object> body = new java.util.LinkedHashMap<>();
    body.put("id", id);
    body.put("type", type);
    body.put("timestamp", occurredAt.toInstant().toString());
    body.put("data", data);
    return body;
  }
}
