package dev.trainyard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "launch",
    description =
        "Launches a run of a template; --watch follows it and exits non-zero unless it SUCCEEDED.")
final class LaunchCommand extends Base {
  @Parameters(index = "0", paramLabel = "TEMPLATE")
  String template;

  @Option(
      names = {"-p", "--param"},
      paramLabel = "NAME=VALUE",
      description = "a parameter (repeatable)")
  List<String> params = new ArrayList<>();

  @Option(names = "--version", description = "the template version (default: the latest)")
  Integer version;

  @Option(
      names = "--idempotency-key",
      paramLabel = "KEY",
      description = "the same key returns the same run")
  String idempotencyKey;

  @Option(
      names = {"-w", "--watch"},
      description = "follow the run until it ends")
  boolean watch;

  @Override
  public Integer call() throws IOException {
    JsonNode detail =
        api()
            .get(
                "/api/v1/templates/"
                    + Api.seg(template)
                    + (version == null ? "" : "/versions/" + version));
    ObjectNode body = json().createObjectNode().put("template", template);
    if (version != null) {
      body.put("version", version);
    }
    body.set("params", Params.typed(params, detail.path("params"), json()));
    JsonNode run = api().postJson("/api/v1/runs", body, idempotencyKey);
    String id = run.path("id").asText();
    if (!watch) {
      print(
          run,
          "id",
          r ->
              "run "
                  + id
                  + " "
                  + r.path("status").asText()
                  + " (template "
                  + template
                  + " v"
                  + r.path("templateVersion").asText()
                  + ")");
      return 0;
    }
    return watch(this, id);
  }

  /** Follows a run (launch --watch, runs retry --watch): 0 only when it SUCCEEDED. */
  static int watch(Base command, String id) throws IOException {
    Main.Ctx ctx = command.ctx();
    // Step lines go to stderr when stdout carries JSON or the id, so that a script can read stdout.
    java.io.PrintWriter log = command.output == Format.text ? ctx.out() : ctx.err();
    if (command.output == Format.text) {
      log.println("run " + id + " launched; watching");
    }
    JsonNode run =
        new RunWatch(command.api(), command.json(), log, new Progress(ctx.err(), ctx.interactive()))
            .follow(id);
    String status = run.path("status").asText();
    command.print(
        run,
        "id",
        r ->
            "run "
                + id
                + " "
                + status
                + (r.path("error").isTextual() ? ": " + r.path("error").asText() : ""));
    if (!status.equals("SUCCEEDED")) {
      ctx.err().println("error: run " + id + " ended " + status);
      return 1;
    }
    return 0;
  }
}
