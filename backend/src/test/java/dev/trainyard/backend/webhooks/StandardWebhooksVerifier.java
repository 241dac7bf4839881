package dev.trainyard.backend.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A receiver's check of a delivery, written from the Standard Webhooks specification alone (not
 * from the sender's {@code Signatures}): strip {@code whsec_}, base64-decode the key, HMAC-SHA256
 * over {@code id.timestamp.body}, compare in constant time with each {@code v1,} entry of the
 * space-separated header, and refuse a timestamp more than five minutes away. (The official {@code
 * com.standardwebhooks:standardwebhooks:1.0.0} jar on Maven Central holds no classes, so it cannot
 * be used here.)
 */
final class StandardWebhooksVerifier {
  private StandardWebhooksVerifier() {}

  static boolean verify(String secret, Map<String, String> headers, byte[] body) throws Exception {
    String id = headers.get("webhook-id");
    String timestamp = headers.get("webhook-timestamp");
    String signatures = headers.get("webhook-signature");
    if (id == null || timestamp == null || signatures == null || !secret.startsWith("whsec_")) {
      return false;
    }
    if (Math.abs(Instant.now().getEpochSecond() - Long.parseLong(timestamp)) > 300) {
      return false;
    }
    Mac hmac = Mac.getInstance("HmacSHA256");
    hmac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring(6)), "HmacSHA256"));
    byte[] signed = (id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
    byte[] content = new byte[signed.length + body.length];
    System.arraycopy(signed, 0, content, 0, signed.length);
    System.arraycopy(body, 0, content, signed.length, body.length);
    byte[] expected = hmac.doFinal(content);
    for (String entry : signatures.split(" ")) {
      String[] parts = entry.split(",", 2);
      if (parts.length == 2
          && parts[0].equals("v1")
          && MessageDigest.isEqual(expected, Base64.getDecoder().decode(parts[1]))) {
        return true;
      }
    }
    return false;
  }
}
