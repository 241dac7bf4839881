package dev.trainyard.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "login",
    description = {
      "Checks a token against Trainyard and saves the address (and a team-mode token) for the next commands.",
      "Local mode (no --token-file): the token is read from ~/.trainyard/local-token ($TRAINYARD_HOME) at every call.",
      "Team mode: --url URL --token-file FILE, or --token-file - to read the token from stdin."
    })
final class LoginCommand extends Base {
  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description = "a file holding the token; - reads it from stdin")
  String tokenFile;

  @Override
  public Integer call() throws IOException {
    String token = null;
    String source;
    if (tokenFile != null) {
      token =
          tokenFile.equals("-")
              ? new String(ctx().in().readAllBytes(), StandardCharsets.UTF_8).strip()
              : Files.readString(Path.of(tokenFile)).strip();
      if (token.isEmpty()) {
        throw new CliException(
            "the token is empty (" + (tokenFile.equals("-") ? "stdin" : tokenFile) + ")");
      }
      source = tokenFile.equals("-") ? "stdin" : tokenFile;
    } else {
      Path local = Target.localTokenFile(ctx().env());
      if (!Files.isRegularFile(local)) {
        throw new CliException(
            "no local token at "
                + local
                + " (start local mode with `./trainyard run`, or give --token-file)");
      }
      source = local.toString();
    }
    String address =
        url != null ? url : ctx().env().getOrDefault("TRAINYARD_URL", Target.LOCAL_URL);
    address = address.replaceAll("/+$", "");
    Target target =
        token != null
            ? new Target(address, token, source)
            : new Target(
                address, Files.readString(Target.localTokenFile(ctx().env())).strip(), source);
    // A token the API refuses is not saved: this call answers 401 for it.
    new Api(target, json()).get("/api/v1/runs?limit=1");
    Path saved = Target.save(ctx().env(), json(), address, token);
    out()
        .println(
            "Logged in to "
                + address
                + (token == null
                    ? " (local mode: token read from " + source + " at each call)"
                    : " (token saved in " + saved + ")"));
    return 0;
  }
}
