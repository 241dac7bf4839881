package dev.trainyard.backend;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * The backend with an S3 artifact store (s3proxy, {@link S3ProxyTestResource}) and no in-process
 * worker; shared by every test of the S3 store, so Quarkus starts it once for them.
 */
public class S3StoreProfile implements QuarkusTestProfile {
  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of("trainyard.worker.embedded", "false");
  }

  @Override
  public List<TestResourceEntry> testResources() {
    return List.of(new TestResourceEntry(S3ProxyTestResource.class));
  }
}
