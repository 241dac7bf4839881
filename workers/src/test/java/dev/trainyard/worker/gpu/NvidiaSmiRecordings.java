package dev.trainyard.worker.gpu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Recorded {@code nvidia-smi} output (the telemetry query, csv, no header, no units) under {@code
 * src/test/resources/gpu/}, and stand-in executables that print one: no GPU is here.
 */
public final class NvidiaSmiRecordings {
  public static final String IDLE_8X_H100 = "idle-8xh100.csv";
  public static final String BUSY_8X_H100 = "busy-8xh100.csv";
  public static final String ERRORS_AND_NA = "errors-and-na.csv";

  private NvidiaSmiRecordings() {}

  public static String text(String recording) {
    try {
      return Files.readString(path(recording));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The recording's file; also found from the backend module's tests (run from its directory). */
  public static Path path(String recording) {
    Path here = Path.of("src/test/resources/gpu", recording);
    Path fromBackend = Path.of("../workers/src/test/resources/gpu", recording);
    return (Files.exists(here) ? here : fromBackend).toAbsolutePath().normalize();
  }

  /**
   * An executable in {@code dir} that prints {@code recording} whatever it is asked, exiting 15 (as
   * nvidia-smi does) when the recording has a GPU it could not read.
   */
  public static String standIn(Path dir, String recording) {
    try {
      Path script = dir.resolve("nvidia-smi-" + recording.replace(".csv", ""));
      Path file = path(recording);
      Files.writeString(
          script,
          "#!/bin/sh\ncat '"
              + file
              + "'\ngrep -q 'Unable to determine' '"
              + file
              + "' && exit 15\nexit 0\n");
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
      return script.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
