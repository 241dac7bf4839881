package dev.trainyard.backend.security;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A second local account, created for the test and removed after it: the probe's "another user on
 * the same GPU box". Needs root (CI runs as root); without it the test fails, it never skips.
 */
public final class OtherUnixUser implements AutoCloseable {
  public record Result(int exitCode, String output) {}

  private final String name;

  private OtherUnixUser(String name) {
    this.name = name;
  }

  public static OtherUnixUser create() throws Exception {
    String name = "typrobe" + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
    Result created =
        exec(
            List.of(
                "useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name));
    if (created.exitCode() != 0) {
      fail(
          "cannot create a second Unix user for the probe (the test must run as root): "
              + created.output());
    }
    return new OtherUnixUser(name);
  }

  public String name() {
    return name;
  }

  /** Runs {@code command} as this user, with no environment of ours (no PGPASSWORD). */
  public Result run(String... command) throws Exception {
    List<String> full =
        new ArrayList<>(
            List.of("runuser", "-u", name, "--", "env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin"));
    full.addAll(List.of(command));
    return exec(full);
  }

  static Result exec(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail("timed out: " + command);
    }
    return new Result(process.exitValue(), output);
  }

  @Override
  public void close() throws Exception {
    exec(List.of("userdel", name));
  }
}
