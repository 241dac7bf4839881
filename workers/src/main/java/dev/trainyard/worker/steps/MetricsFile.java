package dev.trainyard.worker.steps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/** Reads {@code metrics.jsonl}: one JSON object per line, e.g. {@code {"step":3,"loss":1.2}}. */
public final class MetricsFile {
  private static final ObjectMapper JSON = new ObjectMapper();

  private MetricsFile() {}

  /**
   * The last value of every numeric key, {@code step} excluded. Lines that are not JSON objects are
   * skipped: a step killed mid-write leaves a torn last line, and that must not fail the attempt.
   */
  public static Map<String, Double> lastValues(Path file) throws IOException {
    Map<String, Double> last = new TreeMap<>();
    if (!Files.isRegularFile(file)) {
      return last;
    }
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line; (line = reader.readLine()) != null; ) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (IOException malformed) {
          continue;
        }
        if (node == null || !node.isObject()) {
          continue;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> field = it.next();
          if (!field.getKey().equals("step") && field.getValue().isNumber()) {
            last.put(field.getKey(), field.getValue().doubleValue());
          }
        }
      }
    }
    return last;
  }
}
