package dev.trainyard.workflow.trust;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/**
 * A Temporal client's TLS settings: the CA bundle that signed the server's certificate (null: the
 * JDK's trust store) and, for mTLS, this client's certificate and key (PEM, key in PKCS#8; both or
 * neither). The same files serve the backend, the in-process worker and standalone workers ({@code
 * --tls-cert/--tls-key/--tls-ca}); {@link TemporalConnection} checks them at start.
 */
public record TemporalTls(Path cert, Path key, Path ca) {
  /**
   * Local mode's client files in {@code <home>/tls/}, as the backend writes them at first start.
   */
  public static TemporalTls clientIn(Path dir) {
    return new TemporalTls(
        dir.resolve("client.pem"), dir.resolve("client.key"), dir.resolve("ca.pem"));
  }

  /** Whether this client presents a certificate (mTLS). */
  public boolean mutual() {
    return cert != null;
  }

  public SslContext clientContext() {
    try {
      SslContextBuilder builder = GrpcSslContexts.forClient();
      if (ca != null) {
        builder.trustManager(ca.toFile());
      }
      if (cert != null) {
        builder.keyManager(cert.toFile(), key.toFile());
      }
      return builder.build();
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

  /** For logs: which files, never their content. */
  public String describe() {
    return (mutual() ? "mTLS as " + cert : "TLS")
        + ", server CA "
        + (ca != null ? ca.toString() : "the JDK's trust store");
  }
}
