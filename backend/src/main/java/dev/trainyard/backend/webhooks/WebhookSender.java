package dev.trainyard.backend.webhooks;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.events.DomainEvent;
import dev.trainyard.backend.events.EventRepository;
import dev.trainyard.backend.webhooks.WebhookRepository.Claimed;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Sends due deliveries from a background thread, never from a run's: each is claimed in the
 * database (so no two senders, on this replica or another, send one attempt), POSTed outside any
 * transaction with a timeout, and its attempt logged. A failed attempt (no answer, or not 2xx) is
 * retried after an exponential backoff with jitter until the attempts run out. Redirects are not
 * followed: a 3xx is a failed attempt, and never a way to reach an address the URL check refused.
 */
@ApplicationScoped
public class WebhookSender {
  private static final Logger LOG = Logger.getLogger(WebhookSender.class);
  private static final int EXCERPT_BYTES = 1024;

  @Inject WebhooksConfig config;
  @Inject WebhookRepository repository;
  @Inject EventRepository events;
  @Inject WebhookService service;
  @Inject ObjectMapper json;

  private HttpClient http;
  private ScheduledExecutorService timer;
  private ExecutorService senders;

  void start(@Observes StartupEvent event) {
    http =
        HttpClient.newBuilder()
            .connectTimeout(config.timeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    senders =
        Executors.newFixedThreadPool(
            config.concurrency(),
            r -> Thread.ofPlatform().daemon().name("webhook-sender").unstarted(r));
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("webhook-timer").unstarted(r));
    long every = config.pollInterval().toMillis();
    timer.scheduleWithFixedDelay(this::sendSafely, every, every, TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent event) {
    if (timer != null) {
      timer.shutdownNow();
      senders.shutdownNow();
    }
  }

  private void sendSafely() {
    try {
      while (sendDue() == config.concurrency()) {
        // a full batch: more may be due
      }
    } catch (RuntimeException e) {
      LOG.warnf("webhook sender: %s", e.toString());
    }
  }

  /** Claims and sends one batch of due deliveries, waiting for them; returns how many. */
  public int sendDue() {
    // An attempt takes at most the connect and the response timeouts; the claim outlasts both.
    Duration lease = config.timeout().multipliedBy(2).plusSeconds(30);
    List<Claimed> batch =
        QuarkusTransaction.requiringNew()
            .call(() -> repository.claimDue(config.concurrency(), lease));
    List<Future<?>> sent =
        batch.stream().<Future<?>>map(c -> senders.submit(() -> send(c))).toList();
    for (Future<?> f : sent) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 0;
      } catch (java.util.concurrent.ExecutionException e) {
        LOG.warnf("webhook attempt: %s", e.getCause().toString());
      }
    }
    return batch.size();
  }

  private void send(Claimed claimed) {
    DomainEvent event =
        QuarkusTransaction.requiringNew().call(() -> events.find(claimed.eventId()).orElseThrow());
    Instant started = Instant.now();
    Integer status = null;
    String body = null;
    String error = null;
    try {
      String refused =
          WebhookUrls.problem(claimed.url(), service.allowPrivateAddresses()).orElse(null);
      if (refused != null) {
        error = "refused: " + refused;
      } else {
        byte[] payload = json.writeValueAsBytes(event.payload());
        long timestamp = started.getEpochSecond();
        HttpRequest request =
            HttpRequest.newBuilder(URI.create(claimed.url()))
                .timeout(config.timeout())
                .header("content-type", "application/json")
                .header("user-agent", "Trainyard-Webhooks/1")
                .header("webhook-id", event.id())
                .header("webhook-timestamp", Long.toString(timestamp))
                .header(
                    "webhook-signature",
                    Signatures.sign(claimed.secret(), event.id(), timestamp, payload))
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload))
                .build();
        HttpResponse<InputStream> response =
            http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        status = response.statusCode();
        try (InputStream in = response.body()) {
          body = new String(in.readNBytes(EXCERPT_BYTES), StandardCharsets.UTF_8);
        }
      }
    } catch (HttpTimeoutException e) {
      error = "timed out after " + config.timeout().toMillis() + " ms";
    } catch (IOException | IllegalArgumentException e) {
      error = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      error = "interrupted (the backend stopped)";
    }
    long durationMs = Duration.between(started, Instant.now()).toMillis();
    boolean ok = status != null && status >= 200 && status < 300;
    String outcome =
        ok ? "SUCCEEDED" : claimed.attempt() >= config.maxAttempts() ? "FAILED" : "PENDING";
    Instant retryAt =
        outcome.equals("PENDING") ? Instant.now().plus(backoff(claimed.attempt())) : null;
    Integer answered = status;
    String excerpt = body;
    String failure = error;
    QuarkusTransaction.requiringNew()
        .run(
            () ->
                repository.recordAttempt(
                    claimed, started, durationMs, answered, excerpt, failure, outcome, retryAt));
  }

  /**
   * The wait after failed attempt {@code n}: base × 2^(n-1), capped, of which a random half is
   * taken off ("equal jitter"), so receivers that failed together are not retried together.
   */
  Duration backoff(int attempt) {
    long base = config.backoffBase().toMillis();
    long capped = Math.min(config.backoffMax().toMillis(), base << Math.min(attempt - 1, 30));
    long half = capped / 2;
    return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(half + 1));
  }
}
