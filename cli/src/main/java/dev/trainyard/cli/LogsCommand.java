package dev.trainyard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "logs",
    description =
        "A run's step logs (stdout and stderr of each step's latest attempt); -f follows them until the run ends.")
final class LogsCommand extends Base {
  @Parameters(index = "0", paramLabel = "RUN")
  String run;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "STEP",
      description = "one step (default: every step, each line prefixed by its step)")
  String step;

  @Option(
      names = {"-f", "--follow"},
      description = "keep printing new lines until the run ends")
  boolean follow;

  private final Map<String, Integer> printed = new HashMap<>();

  @Override
  public Integer call() throws InterruptedException {
    while (true) {
      JsonNode view = api().get("/api/v1/runs/" + Api.seg(run));
      boolean ended = RunWatch.FINAL_RUN.contains(view.path("status").asText());
      List<String> steps = new ArrayList<>();
      for (JsonNode s : view.path("steps")) {
        if (step == null || step.equals(s.path("id").asText())) {
          steps.add(s.path("id").asText());
        }
      }
      if (step != null && steps.isEmpty()) {
        throw new CliException("run " + run + " has no step '" + step + "'");
      }
      for (String s : steps) {
        String text =
            api().getTextOrNull("/api/v1/runs/" + Api.seg(run) + "/steps/" + Api.seg(s) + "/log");
        int from = printed.getOrDefault(s, 0);
        if (text == null || text.length() <= from) {
          continue;
        }
        // Only whole lines while following, so that a line is never split between two polls.
        int to = ended || !follow ? text.length() : text.lastIndexOf('\n') + 1;
        if (to <= from) {
          continue;
        }
        String chunk = text.substring(from, to);
        printed.put(s, to);
        if (step != null) {
          out().print(chunk);
        } else {
          for (String line : chunk.split("\n", -1)) {
            if (!line.isEmpty()) {
              out().println("[" + s + "] " + line);
            }
          }
        }
        out().flush();
      }
      if (!follow || ended) {
        return 0;
      }
      Thread.sleep(1000);
    }
  }
}
