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
 * DNS rebinding (issue 11, Low): a page on {@code evil.example} whose name is re-pointed at
 * 127.0.0.1 reaches local mode from the victim's browser with {@code Host: evil.example}. Only the
 * host names in {@code trainyard.http.allowed-hosts} are served (loopback names by default; team
 * mode lists its own, or {@code *}); any other Host header is answered 421 before anything else
 * runs.
 */
@ApplicationScoped
public class HostGuard {
  @Inject TrainyardConfig config;
  @Inject RefusalAudit refusals;

  void register(@Observes Filters filters) {
    Set<String> allowed =
        config.http().allowedHosts().stream()
            .map(h -> h.trim().toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());
    if (allowed.contains("*")) {
      return;
    }
    filters.register(
        rc -> {
          // The authority is HTTP/1's Host header or HTTP/2's :authority (h2c upgrades and TLS
          // browsers send no Host).
          io.vertx.core.net.HostAndPort authority = rc.request().authority();
          String host = authority == null ? null : hostName(authority.host());
          // Health probes come by IP from the orchestrator (kubelet) and reveal nothing worth
          // rebinding for.
          boolean probe = rc.normalizedPath().startsWith("/q/health");
          if (!probe && (host == null || !allowed.contains(host))) {
            refusals.record(rc, 421);
            rc.response()
                .setStatusCode(421)
                .putHeader("Content-Type", "application/problem+json")
                .end(
                    "{\"type\":\"about:blank\",\"title\":\"Misdirected Request\",\"status\":421,"
                        + "\"detail\":\"this server does not answer for that Host header (trainyard.http.allowed-hosts)\",\"errors\":[]}");
            return;
          }
          rc.next();
        },
        20_000);
  }

  /**
   * The host part of an authority, lower case, IPv6 literals in brackets as configured; null when
   * blank.
   */
  static String hostName(String host) {
    if (host == null || host.isBlank()) {
      return null;
    }
    String name = host.trim().toLowerCase(Locale.ROOT);
    return name.indexOf(':') >= 0 && !name.startsWith("[") ? "[" + name + "]" : name;
  }
}
