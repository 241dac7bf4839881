package dev.trainyard.backend.api.web;

import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Deep links of the dashboard ({@code /runs/abc}) are client-side routes: serve index.html for any
 * GET outside the API, the Quarkus endpoints and static files.
 */
@ApplicationScoped
public class SinglePageApp {
  void register(@Observes Filters filters) {
    filters.register(
        rc -> {
          String path = rc.normalizedPath();
          boolean clientRoute =
              "GET".equals(rc.request().method().name())
                  && !path.startsWith("/api/")
                  && !path.startsWith("/q/")
                  && !path.equals("/")
                  && !path.equals(SignInResource.SIGN_IN)
                  && !path.startsWith("/auth/")
                  && !path.substring(path.lastIndexOf('/') + 1).contains(".");
          if (clientRoute) {
            rc.reroute("/index.html");
          } else {
            rc.next();
          }
        },
        100);
  }
}
