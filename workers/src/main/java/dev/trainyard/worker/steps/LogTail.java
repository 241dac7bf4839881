package dev.trainyard.worker.steps;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The end of a step log, read without loading a multi-gigabyte log into memory. */
public final class LogTail {
  public static final int DEFAULT_BYTES = 16 * 1024;

  private LogTail() {}

  public static String read(Path log, int maxBytes) {
    if (!Files.isRegularFile(log)) {
      return "";
    }
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      long length = file.length();
      int n = (int) Math.min(length, maxBytes);
      byte[] bytes = new byte[n];
      file.seek(length - n);
      file.readFully(bytes);
      int start = 0;
      // Do not start in the middle of a UTF-8 sequence.
      while (n > 0 && start < Math.min(n, 4) && (bytes[start] & 0xC0) == 0x80) {
        start++;
      }
      return new String(bytes, start, n - start, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  /** The last {@code lines} lines of the tail, for failure messages. */
  public static String lastLines(Path log, int lines) {
    String tail = read(log, DEFAULT_BYTES).stripTrailing();
    if (tail.isEmpty()) {
      return "(the step wrote no log)";
    }
    int cut = tail.length();
    for (int i = 0; i < lines && cut > 0; i++) {
      cut = tail.lastIndexOf('\n', cut - 1);
      if (cut < 0) {
        return tail;
      }
    }
    return tail.substring(cut + 1);
  }
}
