package dev.trainyard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code -p name=value} pairs typed by the template's parameters: the API does not turn "30" into
 * 30, so int, number and boolean parameters are sent as JSON numbers and booleans. A value that
 * does not fit its type is sent as text, and the API's answer names the parameter.
 */
final class Params {
  private Params() {}

  static ObjectNode typed(List<String> pairs, JsonNode templateParams, ObjectMapper json) {
    Map<String, String> types = new HashMap<>();
    for (JsonNode p : templateParams) {
      types.put(p.path("name").asText(), p.path("type").asText());
    }
    ObjectNode params = json.createObjectNode();
    for (String pair : pairs) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new CliException("-p wants name=value, got '" + pair + "'");
      }
      String name = pair.substring(0, eq);
      String value = pair.substring(eq + 1);
      String type = types.getOrDefault(name, "string");
      try {
        switch (type) {
          case "int" -> params.put(name, new BigDecimal(value).toBigIntegerExact());
          case "number" -> params.put(name, new BigDecimal(value));
          case "boolean" -> {
            if (!value.equals("true") && !value.equals("false")) {
              throw new NumberFormatException();
            }
            params.put(name, Boolean.parseBoolean(value));
          }
          default -> params.put(name, value);
        }
      } catch (NumberFormatException | ArithmeticException notOfItsType) {
        params.put(name, value);
      }
    }
    return params;
  }
}
