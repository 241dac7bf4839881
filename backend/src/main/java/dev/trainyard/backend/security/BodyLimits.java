package dev.trainyard.backend.security;

import dev.trainyard.backend.config.TrainyardConfig;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Set;

/**
 * Two body limits instead of one. The upload endpoints stream a dataset or checkpoint into the
 * store and stop it at {@code trainyard.datasets.max-upload-size} (1G by default) themselves; every
 * other endpoint reads its whole body into memory (JSON, YAML specs), so it is bounded by {@code
 * trainyard.http.max-body-size} (2M), checked from Content-Length before a byte is read. A body of
 * unknown length (chunked) is refused there with 411, since its size could only be learnt by
 * reading it. The HTTP layer's own {@code quarkus.http.limits.max-body-size} is a backstop above
 * the upload limit.
 */
@ApplicationScoped
public class BodyLimits {
  /** The endpoints that stream their bodies (DatasetsResource, CheckpointsResource). */
  static final Set<String> STREAMING =
      Set.of("/api/v1/datasets/upload", "/api/v1/checkpoints/import/upload");

  @Inject TrainyardConfig config;
  @Inject RefusalAudit refusals;

  void register(@Observes Filters filters) {
    long limit = config.http().maxBodySize().asLongValue();
    long upload = config.datasets().maxUploadSize().asLongValue();
    long backstop =
        org.eclipse.microprofile.config.ConfigProvider.getConfig()
            .getOptionalValue(
                "quarkus.http.limits.max-body-size",
                io.quarkus.runtime.configuration.MemorySize.class)
            .map(io.quarkus.runtime.configuration.MemorySize::asLongValue)
            .orElse(10L * 1024 * 1024);
    if (backstop <= upload) {
      org.jboss.logging.Logger.getLogger(BodyLimits.class)
          .warnf(
              "quarkus.http.limits.max-body-size (%d bytes) is not above"
                  + " trainyard.datasets.max-upload-size (%d): uploads near the limit are refused"
                  + " by the HTTP layer before Trainyard sees them; raise it",
              backstop, upload);
    }
    // After HostGuard (20 000): a misdirected request is refused for that first.
    filters.register(rc -> check(rc, limit), 19_000);
  }

  private void check(RoutingContext rc, long limit) {
    if (STREAMING.contains(rc.normalizedPath())) {
      rc.next();
      return;
    }
    String length = rc.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    String encoding = rc.request().getHeader(HttpHeaders.TRANSFER_ENCODING);
    if (length != null) {
      long bytes;
      try {
        bytes = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        refuse(rc, 400, "Bad Request", "Content-Length is not a number");
        return;
      }
      if (bytes > limit) {
        refuse(
            rc,
            413,
            "Payload Too Large",
            "the body has "
                + bytes
                + " bytes; this endpoint takes at most "
                + limit
                + " (trainyard.http.max-body-size); upload datasets and checkpoints with their /upload endpoints");
        return;
      }
    } else if (encoding != null
        && encoding.toLowerCase(java.util.Locale.ROOT).contains("chunked")) {
      refuse(
          rc,
          411,
          "Length Required",
          "send Content-Length: bodies of unknown length are accepted only by the /upload endpoints");
      return;
    }
    rc.next();
  }

  private void refuse(RoutingContext rc, int status, String title, String detail) {
    refusals.record(rc, status);
    rc.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/problem+json")
        // The body is not read: close the connection rather than drain it.
        .putHeader("Connection", "close")
        .end(
            io.vertx.core.json.Json.encode(
                java.util.Map.of(
                    "type",
                    "about:blank",
                    "title",
                    title,
                    "status",
                    status,
                    "detail",
                    detail,
                    "errors",
                    java.util.List.of())));
  }
}
