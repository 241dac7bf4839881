package dev.trainyard.backend.openlineage;

import io.openlineage.client.OpenLineageClient;
import io.openlineage.client.transports.ApiKeyTokenProvider;
import io.openlineage.client.transports.FileConfig;
import io.openlineage.client.transports.FileTransport;
import io.openlineage.client.transports.HttpConfig;
import io.openlineage.client.transports.HttpTransport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The client's own transports, configured from {@code trainyard.openlineage.*}. */
final class Transports {
  private Transports() {}

  /** A client with one transport, and that transport's name (for logs and counters). */
  record Named(String name, OpenLineageClient client) {}

  static List<Named> of(OpenLineageSettings settings) {
    List<Named> clients = new ArrayList<>();
    for (OpenLineageSettings.Transport transport : settings.transport()) {
      switch (transport) {
        case none -> {}
        case http -> clients.add(new Named("http", new OpenLineageClient(http(settings.http()))));
        case file -> clients.add(new Named("file", new OpenLineageClient(file(settings.file()))));
      }
    }
    return List.copyOf(clients);
  }

  private static HttpTransport http(OpenLineageSettings.Http settings) {
    HttpConfig config = new HttpConfig();
    config.setUrl(
        settings
            .url()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "trainyard.openlineage.transport=http needs trainyard.openlineage.http.url")));
    config.setEndpoint(settings.endpoint());
    config.setTimeoutInMillis(settings.timeoutMillis());
    apiKey(settings)
        .ifPresent(
            key -> {
              ApiKeyTokenProvider auth = new ApiKeyTokenProvider();
              auth.setApiKey(key);
              config.setAuth(auth);
            });
    return new HttpTransport(config);
  }

  /** The key file's content (trimmed), else the key from the environment. */
  private static Optional<String> apiKey(OpenLineageSettings.Http settings) {
    if (settings.apiKeyFile().isPresent()) {
      try {
        return Optional.of(
            Files.readString(settings.apiKeyFile().get(), StandardCharsets.UTF_8).trim());
      } catch (IOException e) {
        throw new UncheckedIOException("trainyard.openlineage.http.api-key-file", e);
      }
    }
    return settings.apiKey().filter(k -> !k.isBlank());
  }

  private static FileTransport file(OpenLineageSettings.File settings) {
    Path path = settings.path().toAbsolutePath();
    try {
      Files.createDirectories(path.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("trainyard.openlineage.file.path", e);
    }
    return new FileTransport(new FileConfig(path.toString()));
  }

  /** {@code trainyard://<this host's name>}. */
  static String defaultDatasetNamespace() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        host = "localhost";
      }
    }
    return "trainyard://" + host;
  }
}
