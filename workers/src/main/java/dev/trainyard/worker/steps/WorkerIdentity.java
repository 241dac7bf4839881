package dev.trainyard.worker.steps;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** How a worker names itself in step results and lineage: {@code hostname/pid}. */
public final class WorkerIdentity {
  private WorkerIdentity() {}

  public static String current() {
    return hostname() + "/" + ProcessHandle.current().pid();
  }

  private static String hostname() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env.strip();
    }
    try {
      String file = Files.readString(Path.of("/etc/hostname")).strip();
      if (!file.isEmpty()) {
        return file;
      }
    } catch (IOException | RuntimeException ignored) {
      // not Linux, or no such file: fall through
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown-host";
    }
  }
}
