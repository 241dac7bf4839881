package dev.trainyard.backend.webhooks;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Delivery settings ({@code trainyard.webhooks.*}); the tests shorten the waits. */
@ConfigMapping(prefix = "trainyard.webhooks")
public interface WebhooksConfig {
  /** Attempts per delivery, the first included; after the last failed one it is FAILED. */
  @WithDefault("8")
  int maxAttempts();

  /** The wait after the first failed attempt; each further one doubles it (plus jitter). */
  @WithDefault("10s")
  Duration backoffBase();

  /** The longest wait between two attempts. */
  @WithDefault("1h")
  Duration backoffMax();

  /** Connecting and waiting for the answer's headers, each; slower is a failed attempt. */
  @WithDefault("10s")
  Duration timeout();

  /** How often the sender looks for due deliveries. */
  @WithDefault("1s")
  Duration pollInterval();

  /** Deliveries sent at once (one slow receiver does not hold up the others). */
  @WithDefault("4")
  int concurrency();

  /**
   * Whether a subscription URL may name (or resolve to) a loopback, private, link-local or
   * otherwise internal address. Unset: allowed in local mode (its receivers are on the same
   * machine), refused in team mode, where such a URL would let a team member make the server call
   * into its own network (server-side request forgery).
   */
  Optional<Boolean> allowPrivateAddresses();
}
