package dev.trainyard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "templates",
    description = "Pipeline templates.",
    subcommands = {TemplatesCommand.Apply.class, TemplatesCommand.Ls.class})
final class TemplatesCommand {
  @Command(
      name = "apply",
      description =
          "Creates the template a spec file names, or adds its next version (none when the spec is unchanged).")
  static final class Apply extends Base {
    @Option(
        names = {"-f", "--file"},
        required = true,
        paramLabel = "FILE",
        description = "the pipeline spec (YAML or JSON)")
    Path file;

    @Option(names = "--team", description = "the team that owns a new template")
    String team;

    @Override
    public Integer call() throws IOException {
      String spec;
      try {
        spec = Files.readString(file);
      } catch (NoSuchFileException e) {
        throw new CliException("no such file: " + file);
      }
      JsonNode check = api().postText("/api/v1/templates/validate", "application/yaml", spec);
      String name = check.path("name").asText("");
      if (!check.path("valid").asBoolean(false) && check.path("problems").size() > 0) {
        // Refused before anything is created (status 0: the API answered; the spec is what failed).
        java.util.List<ApiException.FieldError> problems = new java.util.ArrayList<>();
        check
            .path("problems")
            .forEach(
                p ->
                    problems.add(
                        new ApiException.FieldError(
                            p.path("path").asText(), p.path("message").asText())));
        throw new ApiException(
            0, file + " is not a valid pipeline spec (nothing was created)", problems);
      }
      JsonNode detail;
      int before = check.path("latestVersion").asInt(0);
      if (!check.path("valid").asBoolean(false) || name.isEmpty() || before == 0) {
        detail =
            api()
                .postText(
                    "/api/v1/templates" + (team == null ? "" : "?team=" + Api.seg(team)),
                    "application/yaml",
                    spec);
      } else {
        detail =
            api()
                .postText(
                    "/api/v1/templates/" + Api.seg(name) + "/versions", "application/yaml", spec);
      }
      int version = detail.path("version").asInt();
      String what = before == 0 ? "created" : version == before ? "unchanged" : "new version";
      print(
          detail,
          "name",
          d ->
              "template "
                  + d.path("name").asText()
                  + " version "
                  + version
                  + " ("
                  + what
                  + ")"
                  + (d.path("approved").asBoolean(true)
                      ? ""
                      : "; waits for an admin's approval before operators can launch it"));
      return 0;
    }
  }

  @Command(name = "ls", description = "The templates you can see.")
  static final class Ls extends Base {
    @Override
    public Integer call() {
      JsonNode list = api().get("/api/v1/templates");
      if (output == Format.json) {
        out().println(pretty(list));
        return 0;
      }
      Table t = new Table("NAME", "VERSION", "TEAM", "DESCRIPTION");
      for (JsonNode i : list.path("items")) {
        if (output == Format.id) {
          out().println(i.path("name").asText());
        }
        t.row(
            i.path("name").asText(),
            i.path("latestVersion").asText(),
            i.path("team").asText(""),
            i.path("description").asText(""));
      }
      if (output == Format.text) {
        out().print(t);
      }
      return 0;
    }
  }
}
