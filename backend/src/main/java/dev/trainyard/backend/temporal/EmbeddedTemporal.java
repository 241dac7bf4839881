package dev.trainyard.backend.temporal;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.temporal.internal.testservice.TestServicesStarter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The SDK's test server, serving the real Temporal gRPC API in real time. We build the gRPC server
 * ourselves because {@code TestServer.createPortBoundServer} binds every interface; local mode must
 * listen on 127.0.0.1 only. Its state lives in memory: a restart loses in-flight workflows.
 *
 * <p>{@link #main} runs it as a process of its own, so that fault tests can kill the backend while
 * Temporal keeps running (the team topology on one machine):
 * {@code java -cp 'backend/target/quarkus-app/lib/main/*:backend/target/quarkus-app/app/*'
 * dev.trainyard.backend.temporal.EmbeddedTemporal 7233}.
 */
public final class EmbeddedTemporal implements AutoCloseable {
  private final TestServicesStarter services;
  private final Server server;

  private EmbeddedTemporal(TestServicesStarter services, Server server) {
    this.services = services;
    this.server = server;
  }

  public static EmbeddedTemporal start(int port) throws IOException {
    // lockTimeSkipping = true: timers fire in real time, as on a real cluster.
    TestServicesStarter services = new TestServicesStarter(true, 0);
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port));
    HealthStatusManager health = new HealthStatusManager();
    builder.addService(health.getHealthService());
    for (BindableService service : services.getServices()) {
      builder.addService(service);
      health.setStatus(service.bindService().getServiceDescriptor().getName(),
          io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    }
    Server server = builder.build().start();
    return new EmbeddedTemporal(services, server);
  }

  /** Serves on 127.0.0.1:{@code args[0]} (default 7233) until the process is stopped. */
  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 7233;
    EmbeddedTemporal temporal = start(port);
    Runtime.getRuntime().addShutdownHook(new Thread(temporal::close, "temporal-test-server-shutdown"));
    System.out.println("Temporal test server listening on " + temporal.target());
    temporal.server.awaitTermination();
  }

  public String target() {
    return "127.0.0.1:" + server.getPort();
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
