package dev.trainyard.backend.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.catalog.StepAttemptEntity;
import dev.trainyard.backend.home.AttemptFiles;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Logs and metrics of step attempts. In local mode the worker shares the home directory, so the
 * live files of the step contract are read directly; otherwise the log tail recorded by the ledger
 * is used.
 */
@ApplicationScoped
public class StepFilesReader {
  private static final long MAX_LOG_BYTES = 1 << 20;

  @Inject AttemptFiles files;
  @Inject ObjectMapper json;

  public String log(String runId, String stepId, Integer attempt) {
    StepAttemptEntity chosen = attempt(runId, stepId, attempt);
    // Opened without following links and only inside the attempt's dir: the step may have replaced
    // its
    // log by a link to /etc/passwd; then the ledger's tail (read the same way by the worker) is
    // shown.
    try (SeekableByteChannel in = files.openLog(runId, stepId, chosen.attempt)) {
      long start = Math.max(0, in.size() - MAX_LOG_BYTES);
      ByteBuffer bytes = ByteBuffer.allocate((int) (in.size() - start));
      in.position(start);
      while (bytes.hasRemaining() && in.read(bytes) > 0) {
        // keep reading
      }
      return new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8);
    } catch (IOException | IllegalArgumentException unreadable) {
      return chosen.logTail == null ? "" : chosen.logTail;
    }
  }

  public record MetricPoint(long step, String name, double value) {}

  public List<MetricPoint> metrics(String runId, String stepId, Integer attempt) {
    StepAttemptEntity chosen = attempt(runId, stepId, attempt);
    List<MetricPoint> points = new ArrayList<>();
    SeekableByteChannel file = null;
    try {
      file = files.openMetrics(runId, stepId, chosen.attempt);
    } catch (IOException | IllegalArgumentException unreadable) {
      // no live file (not local mode, cleaned up) or not a regular file in the attempt's dir
    }
    if (file != null) {
      try (BufferedReader reader =
          new BufferedReader(Channels.newReader(file, StandardCharsets.UTF_8))) {
        long line = 0;
        for (String text; (text = reader.readLine()) != null; ) {
          line++;
          JsonNode node;
          try {
            node = json.readTree(text);
          } catch (IOException malformed) {
            continue; // a step may be mid-write on its last line
          }
          if (node == null || !node.isObject()) {
            continue;
          }
          long step = node.path("step").asLong(line);
          for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getKey().equals("step") && field.getValue().isNumber()) {
              points.add(new MetricPoint(step, field.getKey(), field.getValue().asDouble()));
            }
          }
        }
      } catch (IOException e) {
        return points;
      }
    } else if (chosen.metrics != null) {
      chosen.metrics.forEach((name, value) -> points.add(new MetricPoint(0, name, value)));
    }
    return points;
  }

  private StepAttemptEntity attempt(String runId, String stepId, Integer attempt) {
    return StepAttemptEntity.ofRun(runId).stream()
        .filter(a -> a.stepId.equals(stepId) && (attempt == null || a.attempt == attempt))
        .max(Comparator.comparingInt(a -> a.attempt))
        .orElseThrow(
            () ->
                ApiProblem.notFound(
                    "step '"
                        + stepId
                        + "' of run "
                        + runId
                        + " has no "
                        + (attempt == null ? "attempt yet" : "attempt " + attempt)));
  }
}
