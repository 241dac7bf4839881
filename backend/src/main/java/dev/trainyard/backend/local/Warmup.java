package dev.trainyard.backend.local;

import dev.trainyard.backend.security.LocalToken;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Local mode asks its own API for the dashboard's first pages once, right after start, so the
 * user's first page load does not pay for loading and initialising the query, serialisation and
 * HTTP code paths (measured: the runs list's first call took 1 s on a cold JVM, 67 ms warm).
 */
@ApplicationScoped
public class Warmup {
  private static final Logger LOG = Logger.getLogger(Warmup.class);
  private static final List<String> PAGES =
      List.of(
          "/api/v1/runs?limit=100",
          "/api/v1/templates",
          "/api/v1/artifacts?type=checkpoint&limit=100",
          "/api/v1/workers");

  @Inject LocalToken token;

  @ConfigProperty(name = "quarkus.http.host")
  String host;

  @ConfigProperty(name = "quarkus.http.port")
  int port;

  void onStart(@Observes StartupEvent event) {
    if (LaunchMode.current() != LaunchMode.NORMAL) {
      return; // tests measure their own requests
    }
    Thread.ofVirtual().name("warm-up").start(this::warmUp);
  }

  private void warmUp() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    // The HTTP server opens after the start-up events. Wait for it to answer as Trainyard's local
    // mode
    // does, without the token, so the token never goes to something else holding the port
    // meanwhile.
    HttpRequest probe =
        HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/auth/config"))
            .timeout(Duration.ofSeconds(5))
            .build();
    boolean ours = false;
    for (int attempt = 0; attempt < 120 && !ours; attempt++) {
      try {
        ours =
            http.send(probe, HttpResponse.BodyHandlers.ofString())
                .body()
                .contains("\"mode\":\"local\"");
      } catch (java.io.IOException notYet) {
        // not listening yet
      } catch (InterruptedException e) {
        return;
      }
      if (!ours) {
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
    if (!ours || token.value().isEmpty()) {
      return; // team mode has no token of its own to ask with
    }
    long started = System.nanoTime();
    for (String page : PAGES) {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + page))
              .header("Authorization", "Bearer " + token.value().orElseThrow())
              .timeout(Duration.ofSeconds(30))
              .build();
      try {
        http.send(request, HttpResponse.BodyHandlers.discarding());
      } catch (java.io.IOException e) {
        LOG.debugf("warm-up of %s failed: %s", page, e);
      } catch (InterruptedException e) {
        return;
      }
    }
    LOG.infof(
        "warm-up of the dashboard's first pages took %d ms",
        (System.nanoTime() - started) / 1_000_000);
  }
}
