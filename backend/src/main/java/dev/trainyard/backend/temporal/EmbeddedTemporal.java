package dev.trainyard.backend.temporal;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.protobuf.services.HealthStatusManager;
import io.temporal.internal.testservice.TestServicesStarter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The SDK's test server, serving the real Temporal gRPC API in real time. We build the gRPC server
 * ourselves because {@code TestServer.createPortBoundServer} binds every interface; local mode must
 * listen on 127.0.0.1 only. Its state lives in memory: a restart loses in-flight workflows.
 *
 * <p>It speaks only mutual TLS: the test server has no authentication of its own, so without it any
 * local user could read every run's history, start workflows and poll activity tasks. Only a client
 * with a certificate from the {@link LocalTls} CA completes the handshake; plaintext and unknown
 * clients are refused before any gRPC call.
 *
 * <p>{@link #main} runs it as a process of its own, so that fault tests can kill the backend while
 * Temporal keeps running (the team topology on one machine): {@code java -cp
 * 'backend/target/quarkus-app/lib/main/*:backend/target/quarkus-app/app/*'
 * dev.trainyard.backend.temporal.EmbeddedTemporal 7233 /path/to/tls} (the directory's certificates
 * are minted if missing; clients use its {@code client.pem}, {@code client.key} and {@code
 * ca.pem}).
 */
public final class EmbeddedTemporal implements AutoCloseable {
  private final TestServicesStarter services;
  private final Server server;
  private final String host;

  private EmbeddedTemporal(TestServicesStarter services, Server server, String host) {
    this.services = services;
    this.server = server;
    this.host = host;
  }

  /**
   * Serves on 127.0.0.1:{@code port} (0: a free one) with the server certificate of {@code tls}.
   */
  public static EmbeddedTemporal start(int port, LocalTls.Material tls) throws IOException {
    return start("127.0.0.1", port, tls);
  }

  /**
   * Serves on {@code host}:{@code port}; the team-topology test puts it on the address its worker
   * namespaces reach (infra/scripts/e2e-topology.sh).
   */
  public static EmbeddedTemporal start(String host, int port, LocalTls.Material tls)
      throws IOException {
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
            .sslContext(
                GrpcSslContexts.forServer(tls.serverCert().toFile(), tls.serverKey().toFile())
                    .trustManager(tls.ca().toFile())
                    .clientAuth(ClientAuth.REQUIRE)
                    .build());
    // lockTimeSkipping = true: timers fire in real time, as on a real cluster.
    TestServicesStarter services = new TestServicesStarter(true, 0);
    HealthStatusManager health = new HealthStatusManager();
    builder.addService(health.getHealthService());
    for (BindableService service : services.getServices()) {
      builder.addService(service);
      health.setStatus(
          service.bindService().getServiceDescriptor().getName(),
          io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    }
    Server server = builder.build().start();
    return new EmbeddedTemporal(services, server, host);
  }

  /**
   * Serves on {@code args[2]} (default 127.0.0.1), port {@code args[0]} (default 7233), with the
   * certificates in {@code args[1]} (default {@code ./tls}) until the process is stopped.
   */
  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 7233;
    LocalTls.Material tls = LocalTls.ensure(Path.of(args.length > 1 ? args[1] : "tls"));
    EmbeddedTemporal temporal = start(args.length > 2 ? args[2] : "127.0.0.1", port, tls);
    Runtime.getRuntime()
        .addShutdownHook(new Thread(temporal::close, "temporal-test-server-shutdown"));
    System.out.println(
        "Temporal test server listening on "
            + temporal.target()
            + " (mTLS, certificates in "
            + tls.dir()
            + ")");
    temporal.server.awaitTermination();
  }

  public String target() {
    return host + ":" + server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    services.close();
  }
}
