package dev.trainyard.backend.temporal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trainyard.workflow.trust.TemporalConnection;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.internal.testservice.TestServicesStarter;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Team mode against a Temporal frontend behind TLS: the SDK's test server served by a gRPC server
 * the test binds with a certificate from a CA it mints ({@link LocalTls}, BouncyCastle), and an
 * interceptor that checks the API key, as a cluster's authorizer does. Clients are built by the
 * same {@link TemporalConnection} the backend and the worker use.
 */
class TemporalClusterTlsTest {
  static final String API_KEY = "tk-" + java.util.UUID.randomUUID();
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir static Path dir;
  static LocalTls.Material pki;
  static LocalTls.Material otherPki;
  static TestServicesStarter services;
  static Server tlsServer; // TLS, client certificate optional, API key required
  static Server mtlsServer; // TLS, client certificate required
  static Server plaintextServer;
  static final List<String> authorizations = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    pki = LocalTls.ensure(dir.resolve("pki"));
    otherPki = LocalTls.ensure(dir.resolve("other"));
    services = new TestServicesStarter(true, 0);
    tlsServer = serve(ClientAuth.NONE, true, true);
    mtlsServer = serve(ClientAuth.REQUIRE, true, false);
    plaintextServer = serve(ClientAuth.NONE, false, false);
  }

  @AfterAll
  static void stop() {
    for (Server server : List.of(tlsServer, mtlsServer, plaintextServer)) {
      server.shutdownNow();
    }
    services.close();
  }

  /** The same in-memory Temporal service on one more 127.0.0.1 port. */
  static Server serve(ClientAuth clientAuth, boolean tls, boolean checkApiKey) throws IOException {
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0));
    if (tls) {
      builder.sslContext(
          GrpcSslContexts.forServer(pki.serverCert().toFile(), pki.serverKey().toFile())
              .trustManager(pki.ca().toFile())
              .clientAuth(clientAuth)
              .build());
    }
    ServerInterceptor apiKey =
        new ServerInterceptor() {
          @Override
          public <Q, A> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
            String authorization = headers.get(AUTHORIZATION);
            authorizations.add(String.valueOf(authorization));
            if (checkApiKey && !("Bearer " + API_KEY).equals(authorization)) {
              call.close(Status.UNAUTHENTICATED.withDescription("bad API key"), new Metadata());
              return new ServerCall.Listener<>() {};
            }
            return next.startCall(call, headers);
          }
        };
    for (BindableService service : services.getServices()) {
      builder.addService(ServerInterceptors.intercept(service, apiKey));
    }
    return builder.build().start();
  }

  static String target(Server server) {
    return "127.0.0.1:" + server.getPort();
  }

  @WorkflowInterface
  public interface Greeting {
    @WorkflowMethod
    String greet(String name);
  }

  @ActivityInterface
  public interface Greeter {
    String hello(String name);
  }

  public static class GreetingImpl implements Greeting {
    private final Greeter greeter =
        Workflow.newActivityStub(
            Greeter.class,
            ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(30)).build());

    @Override
    public String greet(String name) {
      return greeter.hello(name) + " (workflow " + Workflow.getInfo().getWorkflowId() + ")";
    }
  }

  static TemporalConnection connection(
      boolean tls, Path cert, Path key, Path ca, Map<String, String> env) {
    return TemporalConnection.configure(
        new TemporalConnection.Settings(tls, cert, key, ca, null),
        env,
        TemporalRuntime.SETTING_NAMES);
  }

  static WorkflowServiceStubs stubs(TemporalConnection connection, Server server) {
    return WorkflowServiceStubs.newServiceStubs(
        connection
            .applyTo(WorkflowServiceStubsOptions.newBuilder())
            .setTarget(target(server))
            .setRpcTimeout(Duration.ofSeconds(5))
            .build());
  }

  static void systemInfo(TemporalConnection connection, Server server) {
    WorkflowServiceStubs stubs = stubs(connection, server);
    try {
      stubs
          .blockingStub()
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .getSystemInfo(GetSystemInfoRequest.getDefaultInstance());
    } finally {
      stubs.shutdownNow();
    }
  }

  @Test
  void aTlsClientWithTheCaAndTheApiKeyRunsAWorkflowWithAnActivityOnARealWorker() {
    TemporalConnection connection =
        connection(false, null, null, pki.ca(), Map.of(TemporalConnection.API_KEY_ENV, API_KEY));
    WorkflowServiceStubs stubs = stubs(connection, tlsServer);
    WorkflowClient client =
        WorkflowClient.newInstance(
            stubs, WorkflowClientOptions.newBuilder().setNamespace("default").build());
    WorkerFactory factory = WorkerFactory.newInstance(client);
    try {
      Worker worker = factory.newWorker("tls-test");
      worker.registerWorkflowImplementationTypes(GreetingImpl.class);
      List<String> ranOn = new CopyOnWriteArrayList<>();
      worker.registerActivitiesImplementations(
          (Greeter)
              name -> {
                ranOn.add(Thread.currentThread().getName());
                return "hello " + name;
              });
      factory.start();
      authorizations.clear();

      String result =
          client
              .newWorkflowStub(
                  Greeting.class,
                  WorkflowOptions.newBuilder()
                      .setTaskQueue("tls-test")
                      .setWorkflowId("tls-greeting")
                      .setWorkflowExecutionTimeout(Duration.ofSeconds(60))
                      .build())
              .greet("cluster");

      assertThat(result).isEqualTo("hello cluster (workflow tls-greeting)");
      assertThat(ranOn).hasSize(1);
      // Every call the server saw (start, polls, completions) carried the key.
      assertThat(authorizations).isNotEmpty().containsOnly("Bearer " + API_KEY);
      assertThat(connection.describe()).contains("TLS").contains("API key").doesNotContain(API_KEY);
    } finally {
      factory.shutdownNow();
      stubs.shutdownNow();
    }
  }

  @Test
  void aWrongApiKeyIsRefused() {
    TemporalConnection wrong =
        connection(false, null, null, pki.ca(), Map.of(TemporalConnection.API_KEY_ENV, "tk-wrong"));
    assertThatThrownBy(() -> systemInfo(wrong, tlsServer))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAUTHENTICATED");
    TemporalConnection none = connection(false, null, null, pki.ca(), Map.of());
    assertThatThrownBy(() -> systemInfo(none, tlsServer))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAUTHENTICATED");
  }

  @Test
  void aPlaintextClientIsRefusedByTheTlsEndpoint() {
    TemporalConnection plaintext = connection(false, null, null, null, Map.of());
    assertThat(plaintext.tls()).isNull();
    List<String> before = List.copyOf(authorizations);
    assertThatThrownBy(() -> systemInfo(plaintext, mtlsServer))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAVAILABLE");
    assertThat(authorizations).isEqualTo(before); // refused before any call reached the service
  }

  @Test
  void aTlsClientRefusesAPlaintextServerInsteadOfDowngrading() {
    TemporalConnection tls =
        connection(
            false,
            pki.client().cert(),
            pki.client().key(),
            pki.ca(),
            Map.of(TemporalConnection.API_KEY_ENV, API_KEY));
    List<String> before = List.copyOf(authorizations);
    assertThatThrownBy(() -> systemInfo(tls, plaintextServer))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAVAILABLE");
    // The plaintext server never saw a call, so never the key either.
    assertThat(authorizations).isEqualTo(before);
  }

  @Test
  void aWorkerConfiguredForTlsDoesNotStartAgainstAPlaintextServer() {
    TemporalConnection tls = connection(false, null, null, pki.ca(), Map.of());
    WorkflowServiceStubs stubs = stubs(tls, plaintextServer);
    WorkerFactory factory =
        WorkerFactory.newInstance(
            WorkflowClient.newInstance(
                stubs, WorkflowClientOptions.newBuilder().setNamespace("default").build()));
    try {
      // The SDK asks the server for its capabilities before polling: the handshake fails there.
      assertThatThrownBy(
              () -> {
                factory
                    .newWorker("tls-refused")
                    .registerWorkflowImplementationTypes(GreetingImpl.class);
                factory.start();
              })
          .isInstanceOf(StatusRuntimeException.class)
          .hasMessageContaining("UNAVAILABLE");
      assertThat(factory.isStarted()).isFalse();
    } finally {
      stubs.shutdownNow(); // the factory never started: nothing of it to stop
    }
  }

  @Test
  void withMtlsRequiredAClientWithoutACertificateIsRefusedAndOneWithItIsServed() {
    assertThatThrownBy(
            () -> systemInfo(connection(false, null, null, pki.ca(), Map.of()), mtlsServer))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAVAILABLE");
    // A certificate from another CA is refused too.
    TemporalConnection stranger =
        connection(false, otherPki.client().cert(), otherPki.client().key(), pki.ca(), Map.of());
    assertThatThrownBy(() -> systemInfo(stranger, mtlsServer))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAVAILABLE");
    systemInfo(
        connection(false, pki.client().cert(), pki.client().key(), pki.ca(), Map.of()), mtlsServer);
  }

  @Test
  void aClientThatDoesNotTrustTheServersCaIsRefused() {
    // --tls alone trusts the JDK's CAs, which never signed this test CA's server certificate.
    assertThatThrownBy(() -> systemInfo(connection(true, null, null, null, Map.of()), mtlsServer))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAVAILABLE");
    assertThatThrownBy(
            () -> systemInfo(connection(false, null, null, otherPki.ca(), Map.of()), mtlsServer))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAVAILABLE");
  }

  @Test
  void misconfigurationFailsAtStartNamingTheSettingAndTheFile() throws IOException {
    Path missing = dir.resolve("nope.pem");
    assertThatThrownBy(() -> connection(false, null, null, missing, Map.of()))
        .hasMessageContaining("trainyard.temporal.tls.ca " + missing + ": no such file");

    // A certificate with another certificate's key.
    assertThatThrownBy(
            () ->
                connection(false, pki.client().cert(), otherPki.client().key(), pki.ca(), Map.of()))
        .hasMessageContaining(
            "trainyard.temporal.tls.key "
                + otherPki.client().key()
                + ": is not the private key of the certificate in trainyard.temporal.tls.cert "
                + pki.client().cert());

    Path garbage = Files.writeString(dir.resolve("garbage.key"), "not a key\n");
    assertThatThrownBy(() -> connection(false, pki.client().cert(), garbage, pki.ca(), Map.of()))
        .hasMessageContaining(
            "trainyard.temporal.tls.key " + garbage + ": not a PKCS#8 PEM private key");

    Path emptyKey = Files.writeString(dir.resolve("api-key"), "\n");
    assertThatThrownBy(
            () ->
                TemporalConnection.configure(
                    new TemporalConnection.Settings(true, null, null, pki.ca(), emptyKey),
                    Map.of(),
                    TemporalRuntime.SETTING_NAMES))
        .hasMessageContaining("trainyard.temporal.api-key-file " + emptyKey + ": is empty");

    assertThatThrownBy(
            () ->
                connection(
                    false, null, null, null, Map.of(TemporalConnection.API_KEY_ENV, API_KEY)))
        .hasMessageContaining("an API key (TRAINYARD_TEMPORAL_API_KEY) needs TLS")
        .hasMessageNotContaining(API_KEY);
  }
}
