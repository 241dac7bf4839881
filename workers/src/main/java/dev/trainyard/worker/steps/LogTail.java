package dev.trainyard.worker.steps;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The end of a step log, read without loading a multi-gigabyte log into memory. */
public final class LogTail {
  public static final int DEFAULT_BYTES = 16 * 1024;

  private LogTail() {}

  /** The last {@code maxBytes} of {@code log} (a real path; see {@link StepFiles#openRegular}). */
  public static String read(Path log, int maxBytes) {
    try (SeekableByteChannel file = StepFiles.openRegular(log)) {
      long length = file.size();
      int n = (int) Math.min(length, maxBytes);
      ByteBuffer bytes = ByteBuffer.allocate(n);
      file.position(length - n);
      while (bytes.hasRemaining() && file.read(bytes) > 0) {
        // keep reading
      }
      n = bytes.position();
      int start = 0;
      // Do not start in the middle of a UTF-8 sequence.
      while (n > 0 && start < Math.min(n, 4) && (bytes.get(start) & 0xC0) == 0x80) {
        start++;
      }
      return new String(bytes.array(), start, n - start, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return "";
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
