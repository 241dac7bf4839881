package dev.trainyard.pipeline.validate;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.trainyard.pipeline.spec.JsonTrees;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Spec text (YAML, or JSON, which is YAML) to a tree of plain Java values, within bounds on what a
 * document may cost to load; a text that is not a mapping is one problem at {@code $}.
 */
final class SpecText {
  private SpecText() {}

  /**
   * YAML 1.1 reads {@code 1e-4} (no dot) as a string; users mean a number, so such text becomes
   * one.
   */
  private static final Pattern EXPONENT_NUMBER =
      Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)[eE][-+]?\\d+");

  private static final int MAX_NESTING = 50;
  private static final int MAX_CODE_POINTS = 1_000_000;

  private static final ObjectMapper YAML = yamlMapper();

  private static ObjectMapper yamlMapper() {
    // Specs come from users over the API: bound what a document may cost to load (billion laughs,
    // deep nesting, huge input).
    LoaderOptions loader = new LoaderOptions();
    loader.setMaxAliasesForCollections(20);
    loader.setNestingDepthLimit(MAX_NESTING);
    loader.setCodePointLimit(MAX_CODE_POINTS);
    loader.setAllowDuplicateKeys(false);
    // Jackson reads YAML as a token stream, not through SnakeYAML's composer, so the composer's
    // nesting
    // limit does not apply: bound nesting on Jackson's side too.
    YAMLFactory factory =
        YAMLFactory.builder()
            .loaderOptions(loader)
            .streamReadConstraints(
                StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
            .build();
    ObjectMapper mapper = new ObjectMapper(factory);
    mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    return mapper;
  }

  /** The document as a mapping, or null with the reason recorded at {@code $}. */
  static Map<?, ?> parse(String text, Problems problems) {
    if (text != null && text.length() > MAX_CODE_POINTS) {
      // SnakeYAML checks its limit only between tokens; one huge scalar would slip through.
      problems.add("$", "too large: " + text.length() + " characters, at most " + MAX_CODE_POINTS);
      return null;
    }
    JsonNode root;
    try {
      root = YAML.readTree(text == null ? "" : text);
    } catch (JsonProcessingException e) {
      problems.add("$", syntaxMessage(e));
      return null;
    } catch (RuntimeException e) {
      // SnakeYAML's own limits (code points, nesting) may surface unwrapped.
      problems.add("$", "invalid YAML: " + firstLine(e.getMessage()));
      return null;
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      problems.add("$", "empty document");
      return null;
    }
    if (!(toJava(root) instanceof Map<?, ?> document)) {
      problems.add("$", "expected a mapping at the top level");
      return null;
    }
    return document;
  }

  /**
   * The tree as plain Java values: LinkedHashMap, ArrayList, String, Integer/Long, Double, Boolean,
   * null.
   */
  static Object toJava(JsonNode node) {
    if (node.isObject()) {
      var map = new LinkedHashMap<String, Object>();
      node.properties().forEach(e -> map.put(e.getKey(), toJava(e.getValue())));
      return map;
    }
    if (node.isArray()) {
      var list = new ArrayList<Object>();
      node.forEach(item -> list.add(toJava(item)));
      return list;
    }
    if (node.isIntegralNumber()) {
      return node.canConvertToLong()
          ? JsonTrees.normalizeInteger(node.longValue())
          : node.doubleValue();
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isTextual()) {
      String text = node.textValue();
      return EXPONENT_NUMBER.matcher(text).matches() ? Double.parseDouble(text) : text;
    }
    if (node.isNull() || node.isMissingNode()) {
      return null;
    }
    return node.asText();
  }

  private static String syntaxMessage(JsonProcessingException e) {
    JsonLocation location = e.getLocation();
    String where =
        location == null || location.getLineNr() < 1
            ? ""
            : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    return "invalid YAML" + where + ": " + firstLine(e.getOriginalMessage());
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    return message.strip().lines().findFirst().orElse("").strip();
  }
}
