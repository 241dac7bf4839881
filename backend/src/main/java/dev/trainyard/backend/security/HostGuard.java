package dev.trainyard.backend.security;

import dev.trainyard.backend.config.TrainyardConfig;
import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * DNS rebinding (issue 11, Low): a page on {@code evil.example} whose name is re-pointed at 127.0.0.1
 * reaches local mode from the victim's browser with {@code Host: evil.example}. Only the host names
 * in {@code trainyard.http.allowed-hosts} are served (loopback names by default; team mode lists its
 * own, or {@code *}); any other Host header is answered 421 before anything else runs.
 */
@ApplicationScoped
public class HostGuard {
  @Inject TrainyardConfig config;

  void register(@Observes Filters filters) {
    Set<String> allowed = config.http().allowedHosts().stream().map(h -> h.trim().toLowerCase(Locale.ROOT))
        .collect(Collectors.toUnmodifiableSet());
    if (allowed.contains("*")) {
      return;
    }
    filters.register(rc -> {
      String host = hostName(rc.request().getHeader("Host"));
      // Health probes come by IP from the orchestrator (kubelet) and reveal nothing worth rebinding for.
      boolean probe = rc.normalizedPath().startsWith("/q/health");
      if (!probe && (host == null || !allowed.contains(host))) {
        rc.response().setStatusCode(421).putHeader("Content-Type", "application/problem+json")
            .end("{\"type\":\"about:blank\",\"title\":\"Misdirected Request\",\"status\":421,"
                + "\"detail\":\"this server does not answer for that Host header (trainyard.http.allowed-hosts)\",\"errors\":[]}");
        return;
      }
      rc.next();
    }, 20_000);
  }

  /** The name part of a Host header, lower case, without its port; null when there is none. */
  static String hostName(String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    String host = header.trim().toLowerCase(Locale.ROOT);
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end < 0 ? null : host.substring(0, end + 1);
    }
    int colon = host.indexOf(':');
    return colon < 0 ? host : host.substring(0, colon);
  }
}
