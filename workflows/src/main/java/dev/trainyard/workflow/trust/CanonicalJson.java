package dev.trainyard.workflow.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * One text per JSON value, whichever process built it: keys sorted, nulls dropped, numbers by value
 * ({@code 5}, {@code 5.0} and a long 5 are the same). The backend and a worker deserialize a step
 * body through different paths (the catalog's jsonb, Temporal's payloads), so only a canonical form
 * gives them the same hash.
 */
public final class CanonicalJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private CanonicalJson() {}

  public static String sha256(Object value) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text(value).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String text(Object value) {
    StringBuilder out = new StringBuilder();
    write(JSON.valueToTree(value), out);
    return out.toString();
  }

  private static void write(JsonNode node, StringBuilder out) {
    switch (node.getNodeType()) {
      case OBJECT -> {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        names.sort(null);
        out.append('{');
        boolean first = true;
        for (String name : names) {
          JsonNode child = node.get(name);
          if (child.isNull() || child.isMissingNode()) {
            continue;
          }
          if (!first) {
            out.append(',');
          }
          first = false;
          out.append(quote(name)).append(':');
          write(child, out);
        }
        out.append('}');
      }
      case ARRAY -> {
        out.append('[');
        for (int i = 0; i < node.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          write(node.get(i), out);
        }
        out.append(']');
      }
      case NUMBER ->
          out.append(
              node.canConvertToExactIntegral()
                  ? node.bigIntegerValue().toString()
                  : Double.toString(node.doubleValue()));
      case STRING -> out.append(quote(node.textValue()));
      case BOOLEAN -> out.append(node.booleanValue());
      default -> out.append("null");
    }
  }

  private static String quote(String text) {
    try {
      return JSON.writeValueAsString(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
