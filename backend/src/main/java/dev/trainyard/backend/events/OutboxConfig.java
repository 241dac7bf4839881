package dev.trainyard.backend.events;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The outbox relay's settings ({@code trainyard.outbox.*}). */
@ConfigMapping(prefix = "trainyard.outbox")
public interface OutboxConfig {
  /** How often the relay looks for committed events to hand to webhooks and triggers. */
  @WithDefault("1s")
  Duration relayInterval();
}
