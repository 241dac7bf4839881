package dev.trainyard.worker.steps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads {@code metrics.jsonl}: one JSON object per line, e.g. {@code {"step":3,"loss":1.2}}. Opened
 * with {@link StepFiles#openRegular}, so pass a real path.
 */
public final class MetricsFile {
  private static final ObjectMapper JSON = new ObjectMapper();

  private MetricsFile() {}

  /**
   * The last value of every numeric key, {@code step} excluded. Lines that are not JSON objects are
   * skipped: a step killed mid-write leaves a torn last line, and that must not fail the attempt.
   */
  public static Map<String, Double> lastValues(Path file) throws IOException {
    Map<String, Double> last = new TreeMap<>();
    SeekableByteChannel channel;
    try {
      channel = StepFiles.openRegular(file);
    } catch (NoSuchFileException | StepFiles.NotInWorkDirException unusable) {
      return last; // a step that replaced its metrics by a link reports none
    }
    try (BufferedReader reader =
        new BufferedReader(Channels.newReader(channel, StandardCharsets.UTF_8))) {
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

  /**
   * Progress a step reports on the last complete line of its metrics: {@code step}, {@code
   * totalSteps} (from {@code total_steps}), {@code etaSeconds} (from {@code eta_s}) and {@code
   * loss}, where present. Reads only the file's tail, so it is cheap at every heartbeat however
   * long the file grows.
   */
  public static Map<String, Object> progress(Path file) throws IOException {
    Map<String, Object> progress = new java.util.LinkedHashMap<>();
    String tail;
    try (SeekableByteChannel ch = StepFiles.openRegular(file)) {
      long size = ch.size();
      int n = (int) Math.min(size, 8192);
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(n);
      ch.position(size - n);
      while (buf.hasRemaining() && ch.read(buf) > 0) {
        // keep reading
      }
      tail = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    } catch (NoSuchFileException | StepFiles.NotInWorkDirException unusable) {
      return progress;
    }
    String[] lines = tail.split("\n");
    for (int i = lines.length - 1; i >= 0; i--) {
      JsonNode node;
      try {
        node = JSON.readTree(lines[i]);
      } catch (IOException tornOrPartial) {
        continue;
      }
      if (node == null || !node.isObject() || !node.path("step").isNumber()) {
        continue;
      }
      progress.put("step", node.get("step").asLong());
      copy(node, "total_steps", "totalSteps", progress);
      copy(node, "eta_s", "etaSeconds", progress);
      copy(node, "loss", "loss", progress);
      break;
    }
    return progress;
  }

  private static void copy(JsonNode node, String from, String to, Map<String, Object> into) {
    if (node.path(from).isNumber()) {
      into.put(to, node.get(from).numberValue());
    }
  }
}
