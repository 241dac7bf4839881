package dev.trainyard.backend.intake;

import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.worker.store.S3StoreSettings;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The S3 buckets and prefixes datasets may be registered from ({@code trainyard.datasets.s3-roots},
 * the remote counterpart of the data roots), reached through the server the artifact store names
 * ({@code trainyard.store.s3-endpoint}, {@code s3-region}) with the AWS SDK's default credential
 * chain, exactly as the store is: credentials are never settings.
 */
@ApplicationScoped
public class S3Sources {
  @Inject TrainyardConfig config;

  private S3Client client;

  /** An object ({@code key}) or a "directory" prefix ({@code key/}) in a bucket. */
  public record S3Uri(String bucket, String key) {
    @Override
    public String toString() {
      return "s3://" + bucket + "/" + key;
    }
  }

  /** Whether any S3 root is configured (else every {@code s3://} URI is refused). */
  public boolean configured() {
    return !roots().isEmpty();
  }

  /** Whether the object or prefix lies inside a configured root (segment by segment). */
  public boolean inside(S3Uri uri) {
    for (S3StoreSettings.Location root : roots()) {
      if (root.bucket().equals(uri.bucket())
          && (root.prefix().isEmpty() || (uri.key() + "/").startsWith(root.prefix()))) {
        return true;
      }
    }
    return false;
  }

  private List<S3StoreSettings.Location> roots() {
    return config.datasets().s3Roots().orElse(List.of()).stream()
        .map(root -> settings(root).location())
        .toList();
  }

  private S3StoreSettings settings(String root) {
    Optional<URI> endpoint = config.store().s3Endpoint().filter(e -> !e.isBlank()).map(URI::create);
    return new S3StoreSettings(
        root, endpoint, config.store().s3Region().filter(r -> !r.isBlank()), endpoint.isPresent());
  }

  /** One client for every root: they share the server, its region and the credentials. */
  synchronized S3Client client() {
    if (client == null) {
      client = settings(config.datasets().s3Roots().orElseThrow().getFirst()).newClient();
    }
    return client;
  }

  @PreDestroy
  synchronized void close() {
    if (client != null) {
      client.close();
    }
  }
}
