package dev.trainyard.worker.store;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 API server for tests: s3proxy in this JVM on a free loopback port, with jclouds'
 * filesystem backend under a directory (each bucket is a directory there, each key a file).
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "trainyard-test";
  public static final String SECRET_KEY = "trainyard-test-secret";

  private final S3Proxy proxy;
  private final BlobStoreContext context;
  private final Path dir;

  private S3ProxyServer(S3Proxy proxy, BlobStoreContext context, Path dir) {
    this.proxy = proxy;
    this.context = context;
    this.dir = dir;
  }

  /** Starts a server storing under {@code dir} with {@code bucket} created. */
  public static S3ProxyServer start(Path dir, String bucket) throws Exception {
    Properties properties = new Properties();
    properties.setProperty("jclouds.filesystem.basedir", dir.toString());
    BlobStoreContext context =
        ContextBuilder.newBuilder("filesystem")
            .credentials("identity", "credential")
            .overrides(properties)
            .build(BlobStoreContext.class);
    context.getBlobStore().createContainerInLocation(null, bucket);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(context.getBlobStore())
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .endpoint(URI.create("http://127.0.0.1:0"))
            // DeleteObjects carries the SDK's x-amz-checksum-crc32, which s3proxy 2.6 does not
            // know.
            .ignoreUnknownHeaders(true)
            .build();
    proxy.start();
    for (int i = 0; !AbstractLifeCycle.STARTED.equals(proxy.getState()); i++) {
      if (i > 1000) {
        throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
      }
      Thread.sleep(10);
    }
    return new S3ProxyServer(proxy, context, dir);
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /** Where the filesystem backend keeps {@code key} of {@code bucket}. */
  Path fileOf(String bucket, String key) {
    return dir.resolve(bucket).resolve(key);
  }

  public S3StoreSettings settings(String uri) {
    return new S3StoreSettings(uri, Optional.of(endpoint()), Optional.of("us-east-1"), true);
  }

  /** A client as the store makes one, with this server's test credentials (and extra config). */
  public S3Client client(ClientOverrideConfiguration override) {
    return S3Client.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .endpointOverride(endpoint())
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .serviceConfiguration(s -> s.chunkedEncodingEnabled(false).expectContinueEnabled(false))
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(override)
        .build();
  }

  public S3Client client() {
    return client(ClientOverrideConfiguration.builder().build());
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
    context.close();
  }
}
