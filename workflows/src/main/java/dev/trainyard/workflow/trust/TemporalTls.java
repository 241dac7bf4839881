package dev.trainyard.workflow.trust;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * A Temporal client's mTLS settings: its certificate and key (PEM, key in PKCS#8) and the CA that
 * signed the server's certificate. The same three files serve the backend, the in-process worker
 * and standalone workers ({@code --tls-cert/--tls-key/--tls-ca}).
 */
public record TemporalTls(Path cert, Path key, Path ca) {
  /**
   * Local mode's client files in {@code <home>/tls/}, as the backend writes them at first start.
   */
  public static TemporalTls clientIn(Path dir) {
    return new TemporalTls(
        dir.resolve("client.pem"), dir.resolve("client.key"), dir.resolve("ca.pem"));
  }

  /** Every file that is missing or unreadable, with what it is for; empty when all can be read. */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    check(problems, cert, "client certificate");
    check(problems, key, "client key");
    check(problems, ca, "CA certificate");
    return problems;
  }

  private static void check(List<String> problems, Path file, String what) {
    if (file == null) {
      problems.add(what + ": not set");
    } else if (!Files.isReadable(file)) {
      problems.add(what + " " + file + ": missing or unreadable");
    }
  }

  public SslContext clientContext() {
    try {
      return GrpcSslContexts.forClient()
          .trustManager(ca.toFile())
          .keyManager(cert.toFile(), key.toFile())
          .build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new UncheckedIOException(
          new SSLException(
              "cannot load the Temporal TLS files " + this + ": " + e.getMessage(), e));
    }
  }

  /** Sets this TLS context on {@code options}. */
  public WorkflowServiceStubsOptions.Builder applyTo(WorkflowServiceStubsOptions.Builder options) {
    return options.setSslContext(clientContext());
  }
}
