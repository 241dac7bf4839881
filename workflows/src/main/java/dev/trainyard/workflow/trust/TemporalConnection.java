package dev.trainyard.workflow.trust;

import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the backend and the standalone worker reach a Temporal frontend: TLS (a CA bundle, or the
 * JDK's trust store), mTLS (a client certificate and key), and an API key sent as {@code
 * authorization: Bearer <key>} on every call. One builder for both, so that they cannot drift.
 *
 * <p>{@link #configure} checks every file at start and reports each problem with the setting that
 * named the file; a connection with TLS never falls back to plaintext (gRPC's TLS handshake fails
 * against a plaintext server), and an API key is refused without TLS, where it would cross the wire
 * in the clear. The key itself is never part of a message or {@link #toString}.
 */
public final class TemporalConnection {
  /** The environment variable an API key may come from instead of a file. */
  public static final String API_KEY_ENV = "TRAINYARD_TEMPORAL_API_KEY";

  /** What each setting is called where it was set (config keys, command-line flags), for errors. */
  public record SettingNames(String tls, String cert, String key, String ca, String apiKeyFile) {}

  /** The raw settings: files may be null; {@code tls} turns TLS on without any file. */
  public record Settings(boolean tls, Path cert, Path key, Path ca, Path apiKeyFile) {}

  private final TemporalTls tls;
  private final String apiKey;

  private TemporalConnection(TemporalTls tls, String apiKey) {
    this.tls = tls;
    this.apiKey = apiKey;
  }

  /** A connection with these TLS settings (already checked, e.g. minted ones) and no API key. */
  public static TemporalConnection of(TemporalTls tls) {
    return new TemporalConnection(tls, null);
  }

  /**
   * Checks {@code settings} and reads the API key (from {@code apiKeyFile}, else {@link
   * #API_KEY_ENV} in {@code env}).
   *
   * @throws IllegalArgumentException naming every problem's setting and file
   */
  public static TemporalConnection configure(
      Settings settings, Map<String, String> env, SettingNames names) {
    List<String> problems = new ArrayList<>();
    boolean tlsOn =
        settings.tls()
            || settings.cert() != null
            || settings.key() != null
            || settings.ca() != null;
    if ((settings.cert() == null) != (settings.key() == null)) {
      problems.add(
          names.cert()
              + " and "
              + names.key()
              + " go together (mTLS): "
              + (settings.cert() == null ? names.cert() : names.key())
              + " is not set");
    }
    X509Certificate cert = readCertificate(settings.cert(), names.cert(), problems);
    PrivateKey key = readKey(settings.key(), names.key(), problems);
    if (cert != null && key != null && !matches(cert.getPublicKey(), key)) {
      problems.add(
          names.key()
              + " "
              + settings.key()
              + ": is not the private key of the certificate in "
              + names.cert()
              + " "
              + settings.cert());
    }
    if (settings.ca() != null && readable(settings.ca(), names.ca(), problems)) {
      try (InputStream in = Files.newInputStream(settings.ca())) {
        if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
          problems.add(names.ca() + " " + settings.ca() + ": holds no PEM certificate");
        }
      } catch (IOException | GeneralSecurityException e) {
        problems.add(names.ca() + " " + settings.ca() + ": not a PEM certificate bundle");
      }
    }
    String apiKey = null;
    if (settings.apiKeyFile() != null) {
      if (readable(settings.apiKeyFile(), names.apiKeyFile(), problems)) {
        try {
          apiKey = Files.readString(settings.apiKeyFile(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
          problems.add(names.apiKeyFile() + " " + settings.apiKeyFile() + ": unreadable");
        }
        if (apiKey != null && apiKey.isEmpty()) {
          problems.add(names.apiKeyFile() + " " + settings.apiKeyFile() + ": is empty");
        }
      }
    } else {
      String fromEnv = env.get(API_KEY_ENV);
      if (fromEnv != null && !fromEnv.isBlank()) {
        apiKey = fromEnv.strip();
      }
    }
    if (apiKey != null && !tlsOn) {
      problems.add(
          "an API key ("
              + (settings.apiKeyFile() != null ? names.apiKeyFile() : API_KEY_ENV)
              + ") needs TLS, or it crosses the wire in the clear: set "
              + names.tls()
              + " or "
              + names.ca());
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("Temporal connection: " + String.join("; ", problems));
    }
    TemporalTls tls =
        tlsOn ? new TemporalTls(settings.cert(), settings.key(), settings.ca()) : null;
    return new TemporalConnection(tls, apiKey);
  }

  /** The TLS settings, or null for plaintext. */
  public TemporalTls tls() {
    return tls;
  }

  public boolean hasApiKey() {
    return apiKey != null;
  }

  /** Sets TLS and the API key on {@code options}. */
  public WorkflowServiceStubsOptions.Builder applyTo(WorkflowServiceStubsOptions.Builder options) {
    if (tls != null) {
      tls.applyTo(options);
    }
    if (apiKey != null) {
      String key = apiKey;
      options.addApiKey(() -> key); // sent as "authorization: Bearer <key>"
    }
    return options;
  }

  /** For logs: the transport and whether an API key is sent, never the key. */
  public String describe() {
    return (tls == null ? "plaintext" : tls.describe())
        + (apiKey != null ? ", API key" : ", no API key");
  }

  @Override
  public String toString() {
    return "TemporalConnection[" + describe() + "]";
  }

  private static boolean readable(Path file, String setting, List<String> problems) {
    if (!Files.isRegularFile(file)) {
      problems.add(setting + " " + file + ": no such file");
      return false;
    }
    if (!Files.isReadable(file)) {
      problems.add(setting + " " + file + ": not readable by this process");
      return false;
    }
    return true;
  }

  private static X509Certificate readCertificate(Path file, String setting, List<String> problems) {
    if (file == null || !readable(file, setting, problems)) {
      return null;
    }
    try (InputStream in = Files.newInputStream(file)) {
      Collection<? extends java.security.cert.Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (!certs.isEmpty() && certs.iterator().next() instanceof X509Certificate x509) {
        return x509;
      }
    } catch (IOException | GeneralSecurityException e) {
      // reported below
    }
    problems.add(setting + " " + file + ": not a PEM certificate");
    return null;
  }

  private static final Pattern PKCS8 =
      Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

  private static PrivateKey readKey(Path file, String setting, List<String> problems) {
    if (file == null || !readable(file, setting, problems)) {
      return null;
    }
    String pem;
    try {
      pem = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      problems.add(setting + " " + file + ": unreadable");
      return null;
    }
    Matcher m = PKCS8.matcher(pem);
    if (!m.find()) {
      problems.add(
          setting
              + " "
              + file
              + ": not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----; convert with "
              + "openssl pkcs8 -topk8 -nocrypt)");
      return null;
    }
    byte[] der = Base64.getMimeDecoder().decode(m.group(1));
    for (String algorithm : List.of("EC", "RSA", "Ed25519", "Ed448")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    problems.add(setting + " " + file + ": an unreadable PKCS#8 key (not EC, RSA or EdDSA)");
    return null;
  }

  /** Whether {@code key} signs what {@code publicKey} verifies. */
  private static boolean matches(PublicKey publicKey, PrivateKey key) {
    String algorithm =
        switch (publicKey.getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          default -> publicKey.getAlgorithm(); // Ed25519, Ed448, EdDSA
        };
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false; // different algorithms, or a key that cannot sign: not this certificate's
    }
  }
}
