package dev.trainyard.backend.trust;

import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.workflow.trust.TaskSignatures;
import dev.trainyard.workflow.trust.TaskVerifier;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * The backend's Ed25519 key pair: {@code <home>/keys/task-signing.key} (PKCS#8 PEM, 0600, in a 0700
 * directory), made at first start, and its public half {@code task-signing.pub}, which is all a
 * worker needs ({@code --task-key}). In team mode the same two files sit in the backend's home, the
 * private one mounted from a secret.
 */
@ApplicationScoped
@Startup // the public key file exists once the backend is up, for workers started after it
public class SigningKey {
  @Inject TrainyardConfig config;

  private PrivateKey privateKey;
  private PublicKey publicKey;

  @PostConstruct
  void load() {
    Path dir = config.home().toAbsolutePath().resolve("keys");
    Path key = dir.resolve("task-signing.key");
    Path pub = dir.resolve("task-signing.pub");
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      if (!Files.isRegularFile(key)) {
        generate(key, pub);
      }
      String base64 =
          Files.readString(key, StandardCharsets.US_ASCII)
              .replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "")
              .replaceAll("\\s", "");
      privateKey =
          KeyFactory.getInstance(TaskSignatures.ALGORITHM)
              .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
      publicKey = TaskSignatures.readPublicKey(pub);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot load or create the task signing key pair in "
              + dir
              + " (delete both files to make a new pair; workers then need the new task-signing.pub)",
          e);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "the task signing key " + key + " is unusable: " + e.getMessage(), e);
    }
    byte[] probe = "trainyard-key-check".getBytes(StandardCharsets.US_ASCII);
    if (!TaskSignatures.verifies(publicKey, probe, sign(probe))) {
      throw new IllegalStateException(
          pub
              + " is not the public half of "
              + key
              + " (delete both files to make a new pair; workers then need the new task-signing.pub)");
    }
    publicKeyFile = pub;
  }

  private static void generate(Path key, Path pub) throws IOException, GeneralSecurityException {
    KeyPair pair = KeyPairGenerator.getInstance(TaskSignatures.ALGORITHM).generateKeyPair();
    Path staging = key.resolveSibling(key.getFileName() + ".new");
    Files.deleteIfExists(staging); // left by a crash mid-write: it was never used
    // Created 0600 before a byte is written; renamed into place only once complete.
    Files.writeString(
        Files.createFile(
            staging,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(pair.getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n",
        StandardCharsets.US_ASCII);
    Files.writeString(
        pub, TaskSignatures.publicKeyPem(pair.getPublic()), StandardCharsets.US_ASCII);
    Files.move(staging, key, StandardCopyOption.ATOMIC_MOVE);
  }

  private Path publicKeyFile;

  public String sign(byte[] payload) {
    try {
      Signature signer = Signature.getInstance(TaskSignatures.ALGORITHM);
      signer.initSign(privateKey);
      signer.update(payload);
      return Base64.getEncoder().encodeToString(signer.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public PublicKey publicKey() {
    return publicKey;
  }

  /** What workers are given: {@code --task-key} points at this file. */
  public Path publicKeyFile() {
    return publicKeyFile;
  }

  public TaskVerifier verifier() {
    return new TaskVerifier(publicKey);
  }
}
