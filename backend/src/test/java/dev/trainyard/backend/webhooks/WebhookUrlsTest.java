package dev.trainyard.backend.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The SSRF guard and the backoff, without the app. */
class WebhookUrlsTest {
  @Test
  void withoutPrivateAddressesAllowedEveryInternalAddressIsRefused() {
    for (String url :
        new String[] {
          "http://127.0.0.1:8080/hook",
          "http://localhost/hook",
          "http://10.1.2.3/",
          "http://172.16.0.1/",
          "http://192.168.1.1/",
          "http://169.254.169.254/latest/meta-data/", // cloud metadata
          "http://100.64.0.1/",
          "http://0.0.0.0/",
          "http://[::1]/",
          "http://[fd00::1]/",
          "http://[fe80::1]/",
          "http://[::ffff:127.0.0.1]/"
        }) {
      assertThat(WebhookUrls.problem(url, false))
          .as(url)
          .hasValueSatisfying(p -> assertThat(p).contains("internal address"));
      assertThat(WebhookUrls.problem(url, true)).as(url + " when allowed").isEmpty();
    }
  }

  @Test
  void aPublicAddressIsAcceptedAndOnlyHttpOrHttpsWithAHostAndNoCredentials() {
    assertThat(WebhookUrls.problem("https://93.184.215.14/hook", false)).isEmpty();
    assertThat(WebhookUrls.problem("http://[2606:4700::1111]/hook", false)).isEmpty();
    assertThat(WebhookUrls.problem("file:///etc/passwd", true))
        .hasValue("must be an http:// or https:// URL");
    assertThat(WebhookUrls.problem("gopher://example.org/", true)).isPresent();
    assertThat(WebhookUrls.problem("http:///nohost", true)).hasValue("must name a host");
    assertThat(WebhookUrls.problem("https://user:pw@example.org/", true))
        .hasValue("must not carry credentials (user:password@)");
    assertThat(WebhookUrls.problem("http://exa mple.org/", true))
        .hasValueSatisfying(p -> assertThat(p).startsWith("not a URL"));
  }

  @Test
  void backoffDoublesWithJitterUpToItsCap() {
    WebhookSender sender = new WebhookSender();
    sender.config = new FixedConfig(Duration.ofSeconds(10), Duration.ofMinutes(5));
    for (int i = 0; i < 50; i++) {
      assertThat(sender.backoff(1)).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(10));
      assertThat(sender.backoff(3)).isBetween(Duration.ofSeconds(20), Duration.ofSeconds(40));
      assertThat(sender.backoff(20)).isBetween(Duration.ofSeconds(150), Duration.ofMinutes(5));
    }
  }

  private record FixedConfig(Duration backoffBase, Duration backoffMax) implements WebhooksConfig {
    @Override
    public int maxAttempts() {
      return 8;
    }

    @Override
    public Duration timeout() {
      return Duration.ofSeconds(10);
    }

    @Override
    public Duration pollInterval() {
      return Duration.ofSeconds(1);
    }

    @Override
    public int concurrency() {
      return 4;
    }

    @Override
    public Optional<Boolean> allowPrivateAddresses() {
      return Optional.empty();
    }
  }
}
