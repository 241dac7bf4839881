package dev.trainyard.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "checkpoints",
    description = "Checkpoints.",
    subcommands = {CheckpointsCommand.Import.class})
final class CheckpointsCommand {
  @Command(
      name = "import",
      description =
          "Imports a Hugging Face folder (safetensors weights) inside the data roots as a checkpoint.")
  static final class Import extends Base {
    @Parameters(paramLabel = "PATH", description = "a path, or a file:// URI")
    String path;

    @Option(names = "--name", description = "a name pickers and launches can use")
    String name;

    @Option(names = "--description")
    String description;

    @Option(names = "--team")
    String team;

    @Override
    public Integer call() {
      ObjectNode body = json().createObjectNode().put("uri", DatasetsCommand.uri(path));
      if (name != null) {
        body.put("name", name);
      }
      if (description != null) {
        body.put("description", description);
      }
      if (team != null) {
        body.put("team", team);
      }
      print(
          api().postJson("/api/v1/checkpoints/import", body),
          "id",
          a ->
              "checkpoint "
                  + a.path("id").asText()
                  + (a.path("name").isTextual() ? " (" + a.path("name").asText() + ")" : "")
                  + ", "
                  + a.path("sizeBytes").asText()
                  + " bytes");
      return 0;
    }
  }
}
