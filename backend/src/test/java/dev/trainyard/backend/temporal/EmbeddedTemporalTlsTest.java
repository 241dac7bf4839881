package dev.trainyard.backend.temporal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trainyard.workflow.trust.TemporalTls;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** H2: the embedded Temporal service answers only clients holding a certificate from its own CA. */
class EmbeddedTemporalTlsTest {
  @TempDir static Path home;
  static LocalTls.Material tls;
  static EmbeddedTemporal temporal;

  @BeforeAll
  static void start() throws Exception {
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
    tls = LocalTls.ensure(home.resolve("tls"));
    temporal = EmbeddedTemporal.start(0, tls);
  }

  @AfterAll
  static void stop() {
    temporal.close();
  }

  @Test
  void aClientWithTheMintedCertificateIsServed() {
    assertThat(
            systemInfo(
                WorkflowServiceStubsOptions.newBuilder()
                    .setSslContext(tls.client().clientContext())))
        .isNotBlank();
  }

  @Test
  void aPlaintextClientIsRefused() {
    assertThatThrownBy(() -> systemInfo(WorkflowServiceStubsOptions.newBuilder()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAVAILABLE");
  }

  @Test
  void aTlsClientWithoutACertificateIsRefused() throws Exception {
    var noCertificate = GrpcSslContexts.forClient().trustManager(tls.ca().toFile()).build();
    assertThatThrownBy(
            () -> systemInfo(WorkflowServiceStubsOptions.newBuilder().setSslContext(noCertificate)))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAVAILABLE");
  }

  @Test
  void aClientWithACertificateFromAnotherCaIsRefused(@TempDir Path elsewhere) throws Exception {
    LocalTls.Material other = LocalTls.ensure(elsewhere.resolve("tls"));
    // Trusts our server, but presents a certificate our CA never signed.
    TemporalTls stranger = new TemporalTls(other.client().cert(), other.client().key(), tls.ca());
    assertThatThrownBy(
            () ->
                systemInfo(
                    WorkflowServiceStubsOptions.newBuilder()
                        .setSslContext(stranger.clientContext())))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("UNAVAILABLE");
  }

  @Test
  void theKeysAreReadableByTheOwnerOnlyAndAreKeptAcrossStarts() throws Exception {
    assertThat(Files.getPosixFilePermissions(tls.dir()))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(Files.getPosixFilePermissions(tls.serverKey()))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(tls.client().key()))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(tls.dir().resolve("ca.key"))
        .doesNotExist(); // nobody can mint another accepted certificate
    String clientCert = Files.readString(tls.client().cert());
    assertThat(Files.readString(LocalTls.ensure(home.resolve("tls")).client().cert()))
        .isEqualTo(clientCert);
  }

  /**
   * The probe itself, as another local account with the tools it had: it cannot read the client
   * key, and neither plaintext gRPC nor TLS without a client certificate gets an answer. The same
   * request with the certificate (as the owner) does, so the refusals are the server's and not a
   * broken probe.
   */
  @Test
  void anotherUnixUserGetsNoAnswerWithoutTheCertificate(@TempDir Path shared) throws Exception {
    try (ProbeUser nobody = ProbeUser.create()) {
      Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path ca = Files.copy(tls.ca(), shared.resolve("ca.pem")); // a CA certificate is public
      Path frame =
          Files.write(
              shared.resolve("empty-request"), new byte[5]); // gRPC frame of an empty message
      Files.setPosixFilePermissions(ca, PosixFilePermissions.fromString("rw-r--r--"));
      Files.setPosixFilePermissions(frame, PosixFilePermissions.fromString("rw-r--r--"));
      String url =
          "127.0.0.1:"
              + temporal.target().substring(temporal.target().lastIndexOf(':') + 1)
              + "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo";
      String grpc =
          " -sS -m 10 -D - -o /dev/null -X POST -H 'content-type: application/grpc' -H 'te: trailers' "
              + "--data-binary @"
              + frame;

      ProbeUser.Result key = nobody.sh("cat " + tls.client().key());
      ProbeUser.Result plaintext =
          nobody.sh("curl --http2-prior-knowledge" + grpc + " http://" + url);
      ProbeUser.Result noCertificate =
          nobody.sh("curl --http2 --cacert " + ca + grpc + " https://" + url);
      Process owner =
          new ProcessBuilder(
                  "sh",
                  "-c",
                  "curl --http2 --cacert "
                      + ca
                      + " --cert "
                      + tls.client().cert()
                      + " --key "
                      + tls.client().key()
                      + grpc
                      + " https://"
                      + url)
              .redirectErrorStream(true)
              .start();
      String withCertificate = new String(owner.getInputStream().readAllBytes());
      owner.waitFor(30, TimeUnit.SECONDS);

      assertThat(key.exitCode()).isNotZero();
      assertThat(key.output()).contains("Permission denied");
      assertThat(plaintext.exitCode()).as(plaintext.output()).isNotZero();
      assertThat(plaintext.output()).doesNotContain("grpc-status");
      assertThat(noCertificate.exitCode()).as(noCertificate.output()).isNotZero();
      assertThat(noCertificate.output()).doesNotContain("grpc-status");
      assertThat(withCertificate).contains("HTTP/2 200").contains("grpc-status: 0");
    }
  }

  private static String systemInfo(WorkflowServiceStubsOptions.Builder options) {
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(options.setTarget(temporal.target()).build());
    try {
      return stubs
              .blockingStub()
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .getSystemInfo(GetSystemInfoRequest.getDefaultInstance())
              .toString()
          + "served";
    } finally {
      stubs.shutdownNow();
    }
  }
}
