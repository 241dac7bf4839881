package dev.trainyard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "runs",
    description = "Runs: list, show, cancel, retry.",
    subcommands = {
      RunsCommand.Ls.class,
      RunsCommand.Get.class,
      RunsCommand.Cancel.class,
      RunsCommand.Retry.class
    })
final class RunsCommand {
  @Command(name = "ls", description = "Recent runs, newest first.")
  static final class Ls extends Base {
    @Option(names = "--template")
    String template;

    @Option(
        names = "--status",
        description = "PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED or INTERRUPTED")
    String status;

    @Option(names = "--limit", defaultValue = "20")
    int limit;

    @Override
    public Integer call() {
      List<String> query = new ArrayList<>(List.of("limit=" + limit));
      if (template != null) {
        query.add("template=" + Api.seg(template));
      }
      if (status != null) {
        query.add("status=" + Api.seg(status));
      }
      JsonNode page = api().get("/api/v1/runs?" + String.join("&", query));
      if (output == Format.json) {
        out().println(pretty(page));
        return 0;
      }
      Table t = new Table("ID", "TEMPLATE", "STATUS", "CREATED", "LAUNCHED BY");
      for (JsonNode r : page.path("items")) {
        if (output == Format.id) {
          out().println(r.path("id").asText());
        }
        t.row(
            r.path("id").asText(),
            r.path("template").asText() + " v" + r.path("templateVersion").asText(),
            r.path("status").asText(),
            r.path("createdAt").asText(),
            r.path("launchedBy").asText(""));
      }
      if (output == Format.text) {
        out().print(t);
      }
      return 0;
    }
  }

  @Command(name = "get", description = "A run with its steps, attempts and output artifacts.")
  static final class Get extends Base {
    @Parameters(paramLabel = "RUN")
    String id;

    @Override
    public Integer call() {
      print(api().get("/api/v1/runs/" + Api.seg(id)), "id", Get::render);
      return 0;
    }

    static String render(JsonNode run) {
      StringBuilder s = new StringBuilder();
      s.append("run ")
          .append(run.path("id").asText())
          .append("  ")
          .append(run.path("status").asText())
          .append("  template ")
          .append(run.path("template").asText())
          .append(" v")
          .append(run.path("templateVersion").asText())
          .append("  launched by ")
          .append(run.path("launchedBy").asText("-"))
          .append('\n');
      if (run.path("error").isTextual()) {
        s.append("error: ").append(run.path("error").asText()).append('\n');
      }
      Table t = new Table("STEP", "KIND", "STATUS", "ATTEMPTS", "OUTPUTS");
      for (JsonNode step : run.path("steps")) {
        List<String> outputs = new ArrayList<>();
        step.path("outputs")
            .fields()
            .forEachRemaining(
                e -> outputs.add(e.getKey() + "=" + e.getValue().path("artifactId").asText()));
        t.row(
            step.path("id").asText(),
            step.path("kind").asText(),
            step.path("status").asText(),
            String.valueOf(step.path("attempts").size()),
            String.join(" ", outputs));
      }
      return s.append(t.toString().stripTrailing()).toString();
    }
  }

  @Command(name = "cancel", description = "Cancels a run: everything its steps started is stopped.")
  static final class Cancel extends Base {
    @Parameters(paramLabel = "RUN")
    String id;

    @Override
    public Integer call() {
      api().postEmpty("/api/v1/runs/" + Api.seg(id) + "/cancel");
      JsonNode run = api().get("/api/v1/runs/" + Api.seg(id));
      print(run, "id", r -> "run " + id + " cancel requested; now " + r.path("status").asText());
      return 0;
    }
  }

  @Command(
      name = "retry",
      description =
          "Retries a failed or interrupted run from its failed steps (finished ones are reused).")
  static final class Retry extends Base {
    @Parameters(paramLabel = "RUN")
    String id;

    @Option(
        names = {"-w", "--watch"},
        description = "follow the run until it ends")
    boolean watch;

    @Override
    public Integer call() throws IOException {
      JsonNode run = api().postEmpty("/api/v1/runs/" + Api.seg(id) + "/retry");
      if (watch) {
        return LaunchCommand.watch(this, id);
      }
      print(run, "id", r -> "run " + id + " retried; now " + r.path("status").asText());
      return 0;
    }
  }
}
