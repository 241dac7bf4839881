package dev.trainyard.backend;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 API server (s3proxy, jclouds' filesystem backend in a temp dir) on a free loopback
 * port, configured as the backend's artifact store. It runs as a child process: jclouds needs Guice
 * 7, and the Quarkus test bootstrap puts Maven's Guice 5 on the test class path.
 *
 * <p>The credentials reach the store as the AWS SDK finds them in production, through its default
 * chain (here the {@code aws.*} system properties; a deployment uses env vars or a credentials
 * file).
 */
public class S3ProxyTestResource implements QuarkusTestResourceLifecycleManager {
  public static final String BUCKET = "trainyard-retention";
  public static final String PREFIX = "team-store";

  /** Where datasets may be registered from (trainyard.datasets.s3-roots): beside the store. */
  public static final String DATASETS = "datasets";

  private static final String ACCESS_KEY = "trainyard-test";
  private static final String SECRET_KEY = "trainyard-test-secret";

  private static Process server;
  private static int port;

  @Override
  public Map<String, String> start() {
    try {
      Path dir = Files.createTempDirectory("trainyard-s3proxy");
      Files.createDirectories(dir.resolve("data"));
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      Path properties =
          Files.writeString(
              dir.resolve("s3proxy.conf"),
              String.join(
                  "\n",
                  "s3proxy.endpoint=http://127.0.0.1:" + port,
                  "s3proxy.authorization=aws-v2-or-v4",
                  "s3proxy.identity=" + ACCESS_KEY,
                  "s3proxy.credential=" + SECRET_KEY,
                  // DeleteObjects carries the SDK's x-amz-checksum-crc32, unknown to s3proxy 2.6.
                  "s3proxy.ignore-unknown-headers=true",
                  "jclouds.provider=filesystem",
                  "jclouds.filesystem.basedir=" + dir.resolve("data"),
                  ""));
      server =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  s3proxyClassPath(),
                  "org.gaul.s3proxy.Main",
                  "--properties",
                  properties.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("s3proxy.log").toFile())
              .start();
      awaitPort(dir.resolve("s3proxy.log"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot start s3proxy", e);
    }
    try (S3Client s3 = client()) {
      s3.createBucket(b -> b.bucket(BUCKET));
    }
    System.setProperty("aws.accessKeyId", ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", SECRET_KEY);
    return Map.of(
        "trainyard.store.uri",
        "s3://" + BUCKET + "/" + PREFIX,
        "trainyard.store.s3-endpoint",
        endpoint().toString(),
        "trainyard.store.cache-size",
        "64M",
        "trainyard.datasets.s3-roots",
        "s3://" + BUCKET + "/" + DATASETS);
  }

  /** The test class path without Maven's Guice 5, which would shadow jclouds' Guice 7. */
  private static String s3proxyClassPath() {
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> entries =
        Arrays.stream(classPath.split(File.pathSeparator))
            .filter(e -> !e.contains("guice-5."))
            .toList();
    return entries.stream().collect(Collectors.joining(File.pathSeparator));
  }

  private static void awaitPort(Path log) throws IOException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) {
        throw new IOException("s3proxy exited: " + Files.readString(log));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    }
    throw new IOException("s3proxy did not listen on " + port + ": " + Files.readString(log));
  }

  public static URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** A client of the test server, to look into the bucket. */
  public static S3Client client() {
    return S3Client.builder()
        .endpointOverride(endpoint())
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .build();
  }

  @Override
  public void stop() {
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
    if (server != null) {
      server.destroy();
    }
  }
}
