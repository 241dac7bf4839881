package dev.trainyard.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code trainyard}: the command-line client of Trainyard's REST API. */
@Command(
    name = "trainyard",
    mixinStandardHelpOptions = true,
    version = "trainyard-cli 0.1.0",
    description = "Command-line client of Trainyard's REST API (local mode by default).",
    subcommands = {
      LoginCommand.class,
      TemplatesCommand.class,
      LaunchCommand.class,
      RunsCommand.class,
      LogsCommand.class,
      ArtifactsCommand.class,
      DatasetsCommand.class,
      CheckpointsCommand.class,
      AliasesCommand.class
    })
public final class Main {
  /**
   * What a command reads and writes besides its options: the environment, stdin, stdout, stderr.
   */
  record Ctx(
      Map<String, String> env,
      InputStream in,
      PrintWriter out,
      PrintWriter err,
      boolean interactive) {}

  final Ctx ctx;
  final ObjectMapper json = new ObjectMapper();

  Main(Ctx ctx) {
    this.ctx = ctx;
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    Ctx ctx = new Ctx(System.getenv(), System.in, out, err, Progress.interactive());
    System.exit(run(ctx, args));
  }

  /**
   * Runs one command line: 0 on success, 1 when the API or the user's files refuse, 2 on bad usage.
   */
  static int run(Ctx ctx, String... args) {
    CommandLine cli = new CommandLine(new Main(ctx));
    cli.setOut(ctx.out()).setErr(ctx.err());
    cli.setExecutionExceptionHandler(
        (e, line, parsed) -> {
          ctx.out().flush();
          if (e instanceof ApiException api) {
            ctx.err().println(api.render());
          } else if (e instanceof CliException c) {
            ctx.err().println("error: " + c.getMessage());
          } else {
            throw e;
          }
          ctx.err().flush();
          return 1;
        });
    int code = cli.execute(args);
    ctx.out().flush();
    ctx.err().flush();
    return code;
  }
}
