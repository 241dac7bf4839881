package dev.trainyard.workflow.trust;

import dev.trainyard.workflow.StepTask;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the backend signs, in one place for the signer and every verifier. Ed25519 (JDK built-in);
 * each payload starts with its purpose so a step grant can never pass for an approval.
 */
public final class TaskSignatures {
  public static final String ALGORITHM = "Ed25519";

  private TaskSignatures() {}

  /**
   * sha256 of the resolved step: its kind, body, bound inputs (ids and URIs), GPUs and timeout —
   * everything a worker acts on. Attempt numbers are not part of it: retries share one grant.
   */
  public static String resolvedStepSha256(StepTask task) {
    Map<String, Object> resolved = new LinkedHashMap<>();
    resolved.put("kind", task.kind());
    resolved.put("body", task.body());
    resolved.put("inputs", task.inputs());
    resolved.put("gpus", task.gpus());
    resolved.put("timeoutSeconds", task.timeoutSeconds());
    return CanonicalJson.sha256(resolved);
  }

  public static byte[] stepPayload(
      String runId, String stepId, int templateVersion, String resolvedStepSha256) {
    return String.join(
            "\n",
            "trainyard-step-grant/v1",
            runId,
            stepId,
            Integer.toString(templateVersion),
            resolvedStepSha256)
        .getBytes(StandardCharsets.UTF_8);
  }

  /** An approval of one waiting attempt of an approval step, by one user. */
  public static byte[] approvalPayload(
      String runId, String stepId, int attempt, String approvedBy) {
    return String.join(
            "\n",
            "trainyard-approval/v1",
            runId,
            stepId,
            Integer.toString(attempt),
            String.valueOf(approvedBy))
        .getBytes(StandardCharsets.UTF_8);
  }

  public static boolean verifies(PublicKey key, byte[] payload, String signature) {
    if (signature == null || signature.isBlank()) {
      return false;
    }
    try {
      Signature verifier = Signature.getInstance(ALGORITHM);
      verifier.initVerify(key);
      verifier.update(payload);
      return verifier.verify(Base64.getDecoder().decode(signature));
    } catch (GeneralSecurityException | IllegalArgumentException malformed) {
      return false;
    }
  }

  /** The public key in a PEM {@code PUBLIC KEY} (X.509 SubjectPublicKeyInfo) file. */
  public static PublicKey readPublicKey(Path pem) throws IOException {
    String text = Files.readString(pem, StandardCharsets.US_ASCII);
    String base64 = text.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
    try {
      return KeyFactory.getInstance(ALGORITHM)
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException(pem + " is not an Ed25519 public key in PEM: " + e.getMessage(), e);
    }
  }

  public static String publicKeyPem(PublicKey key) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(key.getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }
}
