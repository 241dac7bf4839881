package dev.trainyard.backend.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.api.ApiProblem;
import dev.trainyard.backend.catalog.StepAttemptEntity;
import dev.trainyard.backend.config.TrainyardConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Logs and metrics of step attempts. In local mode the worker shares the home directory, so the live
 * files of the step contract are read directly; otherwise the log tail recorded by the ledger is used.
 */
@ApplicationScoped
public class StepFilesReader {
  private static final long MAX_LOG_BYTES = 1 << 20;

  @Inject TrainyardConfig config;
  @Inject ObjectMapper json;

  public String log(String runId, String stepId, Integer attempt) {
    StepAttemptEntity chosen = attempt(runId, stepId, attempt);
    Path file = workDir(runId, stepId, chosen.attempt).resolve("step.log");
    if (Files.isRegularFile(file)) {
      try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
        long start = Math.max(0, in.length() - MAX_LOG_BYTES);
        in.seek(start);
        byte[] bytes = new byte[(int) (in.length() - start)];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
      } catch (IOException e) {
        // fall through to the recorded tail
      }
    }
    return chosen.logTail == null ? "" : chosen.logTail;
  }

  public record MetricPoint(long step, String name, double value) {}

  public List<MetricPoint> metrics(String runId, String stepId, Integer attempt) {
    StepAttemptEntity chosen = attempt(runId, stepId, attempt);
    Path file = workDir(runId, stepId, chosen.attempt).resolve("metrics.jsonl");
    List<MetricPoint> points = new ArrayList<>();
    if (Files.isRegularFile(file)) {
      try {
        long line = 0;
        for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
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
        .orElseThrow(() -> ApiProblem.notFound("step '" + stepId + "' of run " + runId + " has no "
            + (attempt == null ? "attempt yet" : "attempt " + attempt)));
  }

  private Path workDir(String runId, String stepId, int attempt) {
    return config.home().resolve("work").resolve(runId).resolve(stepId).resolve("attempt-" + attempt);
  }
}
