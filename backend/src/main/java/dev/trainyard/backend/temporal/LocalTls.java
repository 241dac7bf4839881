package dev.trainyard.backend.temporal;

import dev.trainyard.workflow.trust.TemporalTls;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The embedded Temporal service's mTLS material, minted at first start in a 0700 directory (local
 * mode: {@code <home>/tls/}): a CA, the server's certificate (127.0.0.1 and localhost) and one
 * client certificate that the backend, the in-process worker and local standalone workers share.
 * The CA's private key is never written: nobody can mint another certificate this server accepts,
 * and deleting the directory (then restarting) revokes every copy of the client key. Keys are EC
 * P-256, files PEM (keys PKCS#8, 0600), what gRPC/Netty and the Temporal CLI read.
 */
public final class LocalTls {
  private static final Duration VALIDITY = Duration.ofDays(3650);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The server's files and the client settings, all in one directory. */
  public record Material(Path dir, Path ca, Path serverCert, Path serverKey, TemporalTls client) {
    static Material in(Path dir) {
      return new Material(
          dir,
          dir.resolve("ca.pem"),
          dir.resolve("server.pem"),
          dir.resolve("server.key"),
          TemporalTls.clientIn(dir));
    }

    List<Path> all() {
      return List.of(ca, serverCert, serverKey, client.cert(), client.key());
    }
  }

  private LocalTls() {}

  /** The files in {@code dir}, generated first if any is missing. */
  public static Material ensure(Path dir) throws IOException {
    Material files = Material.in(dir.toAbsolutePath());
    if (files.all().stream().allMatch(Files::isRegularFile)) {
      Files.setPosixFilePermissions(files.dir(), PosixFilePermissions.fromString("rwx------"));
      return files;
    }
    Path parent = files.dir().getParent();
    Files.createDirectories(parent);
    // Written to a sibling first and renamed into place, so a crash never leaves half a set.
    Path staging =
        Files.createTempDirectory(
            parent,
            ".tls-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    try {
      generate(Material.in(staging));
      if (Files.exists(files.dir())) {
        // An incomplete set (e.g. a deleted key): replace it whole, the old certificates are void.
        deleteTree(files.dir());
      }
      Files.move(staging, files.dir(), StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException raced) {
      deleteTree(staging);
    } catch (IOException | RuntimeException e) {
      deleteTree(staging);
      throw e;
    }
    return files;
  }

  private static void generate(Material files) throws IOException {
    try {
      KeyPair ca = newKeyPair();
      X500Name caName =
          new X500Name("CN=Trainyard local Temporal CA " + Long.toHexString(RANDOM.nextLong()));
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder caBuilder =
          builder(caName, caName, ca)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  ext.createSubjectKeyIdentifier(ca.getPublic()));
      X509Certificate caCert = sign(caBuilder, ca.getPrivate());

      KeyPair server = newKeyPair();
      X509Certificate serverCert =
          sign(
              leaf(
                      caName,
                      new X500Name("CN=trainyard-temporal"),
                      server,
                      caCert,
                      ext,
                      KeyPurposeId.id_kp_serverAuth)
                  .addExtension(
                      Extension.subjectAlternativeName,
                      false,
                      new GeneralNames(
                          new GeneralName[] {
                            new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                            new GeneralName(GeneralName.dNSName, "localhost")
                          })),
              ca.getPrivate());

      KeyPair client = newKeyPair();
      X509Certificate clientCert =
          sign(
              leaf(
                  caName,
                  new X500Name("CN=trainyard-client"),
                  client,
                  caCert,
                  ext,
                  KeyPurposeId.id_kp_clientAuth),
              ca.getPrivate());

      write(files.ca(), pem("CERTIFICATE", caCert.getEncoded()), "rw-r--r--");
      write(files.serverCert(), pem("CERTIFICATE", serverCert.getEncoded()), "rw-r--r--");
      write(files.serverKey(), pem("PRIVATE KEY", server.getPrivate().getEncoded()), "rw-------");
      write(files.client().cert(), pem("CERTIFICATE", clientCert.getEncoded()), "rw-r--r--");
      write(
          files.client().key(), pem("PRIVATE KEY", client.getPrivate().getEncoded()), "rw-------");
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot mint the Temporal TLS certificates: " + e.getMessage(), e);
    }
  }

  private static X509v3CertificateBuilder leaf(
      X500Name issuer,
      X500Name subject,
      KeyPair keys,
      X509Certificate caCert,
      JcaX509ExtensionUtils ext,
      KeyPurposeId purpose)
      throws IOException, GeneralSecurityException {
    return builder(issuer, subject, keys)
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
        .addExtension(
            Extension.keyUsage,
            true,
            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
        .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
        .addExtension(
            Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert))
        .addExtension(
            Extension.subjectKeyIdentifier,
            false,
            ext.createSubjectKeyIdentifier(keys.getPublic()));
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        new BigInteger(127, RANDOM).add(BigInteger.ONE),
        Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(VALIDITY)),
        subject,
        keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter()
        .getCertificate(
            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return generator.generateKeyPair();
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static void write(Path file, String text, String mode) throws IOException {
    // Created with its mode: a key is never readable by others, not even for an instant.
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
    Files.writeString(file, text, StandardCharsets.US_ASCII);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
