package dev.trainyard.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "aliases",
    description = "Mutable, audited pointers to artifacts (production, candidate).",
    subcommands = {AliasesCommand.Set.class, AliasesCommand.Get.class})
final class AliasesCommand {
  @Command(
      name = "set",
      description =
          "Points NAME at ARTIFACT (an id, an id prefix, or a name); the move is audited.")
  static final class Set extends Base {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "ARTIFACT")
    String artifact;

    @Override
    public Integer call() {
      var body = json().createObjectNode().put("artifact", artifact);
      print(
          api().putJson("/api/v1/aliases/" + Api.seg(name), body),
          "artifactId",
          a -> "alias " + a.path("name").asText() + " -> " + a.path("artifactId").asText());
      return 0;
    }
  }

  @Command(name = "get", description = "Where an alias points.")
  static final class Get extends Base {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      print(
          api().get("/api/v1/aliases/" + Api.seg(name)),
          "artifactId",
          a ->
              "alias "
                  + a.path("name").asText()
                  + " -> "
                  + a.path("artifactId").asText()
                  + " (by "
                  + a.path("updatedBy").asText("-")
                  + ")");
      return 0;
    }
  }
}
