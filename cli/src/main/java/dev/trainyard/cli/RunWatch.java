package dev.trainyard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Follows a run's server-sent events until it ends: one line per step that changes status, and a
 * progress bar of finished steps on stderr. Returns the run as it ended.
 */
final class RunWatch {
  static final Set<String> FINAL_RUN = Set.of("SUCCEEDED", "FAILED", "CANCELLED");
  static final Set<String> FINAL_STEP =
      Set.of("SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED", "REUSED");

  private final Api api;
  private final com.fasterxml.jackson.databind.ObjectMapper json;
  private final PrintWriter log;
  private final Progress progress;
  private final Map<String, String> seen = new HashMap<>();

  RunWatch(
      Api api,
      com.fasterxml.jackson.databind.ObjectMapper json,
      PrintWriter log,
      Progress progress) {
    this.api = api;
    this.json = json;
    this.log = log;
    this.progress = progress;
  }

  JsonNode follow(String runId) throws IOException {
    JsonNode run = null;
    // The stream ends when the run ends; a dropped connection is picked up again.
    for (int tries = 0; tries < 100; tries++) {
      HttpResponse<InputStream> r =
          api.stream("/api/v1/runs/" + Api.seg(runId) + "/events", "text/event-stream");
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
        StringBuilder data = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
          if (line.startsWith("data:")) {
            data.append(line.substring(5).stripLeading());
          } else if (line.isEmpty() && !data.isEmpty()) {
            run = json.readTree(data.toString());
            data.setLength(0);
            show(run);
            if (FINAL_RUN.contains(run.path("status").asText())) {
              progress.clear();
              return run;
            }
          }
        }
      } catch (IOException dropped) {
        // fall through to a fresh look at the run
      }
      run = api.get("/api/v1/runs/" + Api.seg(runId));
      show(run);
      if (FINAL_RUN.contains(run.path("status").asText())) {
        progress.clear();
        return run;
      }
      sleep();
    }
    progress.clear();
    return run;
  }

  private void show(JsonNode run) {
    int done = 0;
    int total = 0;
    for (JsonNode step : run.path("steps")) {
      total++;
      String id = step.path("id").asText();
      String status = step.path("status").asText();
      if (FINAL_STEP.contains(status)) {
        done++;
      }
      if (!status.equals(seen.put(id, status)) && !status.equals("PENDING")) {
        progress.clear();
        log.println("  " + id + " " + status);
        log.flush();
      }
    }
    progress.update(done, total, done + "/" + total + " steps, run " + run.path("status").asText());
  }

  private static void sleep() {
    try {
      Thread.sleep(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    }
  }
}
