package dev.trainyard.backend.temporal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Another local Unix account, created for one test and removed after it: the probe's "nobody" on a
 * shared GPU box. Needs root (CI runs as root); elsewhere the test using it is skipped, not passed.
 */
final class ProbeUser implements AutoCloseable {
  final String name;

  /** What a command run as this user printed, and how it exited. */
  record Result(int exitCode, String output) {}

  private ProbeUser(String name) {
    this.name = name;
  }

  static ProbeUser create() throws IOException, InterruptedException {
    assertTrue(
        "root".equals(System.getProperty("user.name")), "creating another Unix user needs root");
    byte[] random = new byte[3];
    new SecureRandom().nextBytes(random);
    String name = "typrobe" + HexFormat.of().formatHex(random);
    Result made = exec(List.of("useradd", "--no-create-home", "--shell", "/bin/sh", name));
    if (made.exitCode() != 0) {
      throw new IllegalStateException("useradd " + name + " failed: " + made.output());
    }
    return new ProbeUser(name);
  }

  /** Runs {@code script} with {@code sh -c} as this user, in its own login-less environment. */
  Result sh(String script) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(List.of("runuser", "-u", name, "--", "sh", "-c", script));
    return exec(command);
  }

  private static Result exec(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(command + " did not finish within 60 s");
    }
    return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  @Override
  public void close() throws IOException, InterruptedException {
    exec(List.of("userdel", name));
  }
}
