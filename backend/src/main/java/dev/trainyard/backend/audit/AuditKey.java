package dev.trainyard.backend.audit;

import dev.trainyard.backend.common.SecretFiles;
import dev.trainyard.backend.config.TrainyardConfig;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The audit chain's HMAC key, which the database never sees: someone who can write the database can
 * recompute the plain hash chain, but not the MAC. Team mode sets it as a secret ({@code
 * trainyard.audit.hmac-key}); otherwise it is a random 0600 file in the home's secrets.
 */
// Loaded at start, so the key file exists (and a short team key fails) before the first request.
@io.quarkus.runtime.Startup
@ApplicationScoped
public class AuditKey {
  static final int MIN_LENGTH = 32;

  @Inject TrainyardConfig config;

  private SecretKeySpec key;

  @PostConstruct
  void load() {
    String secret = config.audit().hmacKey().filter(k -> !k.isBlank()).orElse(null);
    if (secret == null) {
      try {
        secret = SecretFiles.readOrCreate(config.audit().hmacKeyFile());
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot read or create the audit key " + config.audit().hmacKeyFile(), e);
      }
    }
    if (secret.length() < MIN_LENGTH) {
      throw new IllegalStateException(
          "the audit HMAC key must have at least " + MIN_LENGTH + " characters");
    }
    key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
  }

  /**
   * HMAC-SHA256 of a row's id and chain hash, as hex: binds the row's content, link and position.
   */
  String mac(long id, String hash) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return HexFormat.of()
          .formatHex(mac.doFinal((id + "\n" + hash).getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  boolean verifies(long id, String hash, String mac) {
    return MessageDigest.isEqual(
        mac(id, hash).getBytes(StandardCharsets.US_ASCII), mac.getBytes(StandardCharsets.US_ASCII));
  }
}
