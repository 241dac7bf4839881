package dev.trainyard.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "datasets",
    description = "Versioned datasets.",
    subcommands = {DatasetsCommand.Register.class})
final class DatasetsCommand {
  @Command(
      name = "register",
      description =
          "Registers a file or directory inside the data roots (~/.trainyard/datasets in local mode) as the next version of NAME; every bad record is named.")
  static final class Register extends Base {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "PATH", description = "a path, or a file:// or s3:// URI")
    String path;

    @Option(names = "--sha256", description = "the single file's expected sha256")
    String sha256;

    @Option(names = "--team")
    String team;

    @Override
    public Integer call() {
      ObjectNode body = json().createObjectNode().put("name", name).put("uri", uri(path));
      if (sha256 != null) {
        body.put("sha256", sha256);
      }
      if (team != null) {
        body.put("team", team);
      }
      print(
          api().postJson("/api/v1/datasets", body),
          "ref",
          d ->
              "dataset "
                  + d.path("ref").asText()
                  + " ("
                  + d.path("format").asText()
                  + ", "
                  + d.path("records").asText()
                  + " records, "
                  + d.path("sizeBytes").asText()
                  + " bytes) id "
                  + d.path("id").asText());
      return 0;
    }
  }

  /** A local path as the file:///absolute/path the API wants; URIs pass as they are. */
  static String uri(String path) {
    if (path.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      return path;
    }
    String absolute = java.nio.file.Path.of(path).toAbsolutePath().normalize().toString();
    try {
      // Percent-encoded (a space is %20), no trailing slash: the API's file:///absolute/path.
      return "file://" + new java.net.URI(null, null, absolute, null).toASCIIString();
    } catch (java.net.URISyntaxException e) {
      throw new CliException("not a path: " + path);
    }
  }
}
