package dev.trainyard.backend.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The lines of a UTF-8 stream, each decoded strictly on its own so that a malformed byte is
 * reported at its own line ({@link #NOT_UTF8}) and reading goes on. What one line may hold in
 * memory is bounded: a longer line is skipped to its end and reported as {@link #TOO_LONG}, so a
 * file without line breaks cannot exhaust the heap. Lines end at {@code \n} (which never occurs
 * inside a UTF-8 sequence); a {@code \r} before it is dropped.
 */
final class BoundedLines {
  /** Returned for a line longer than the bound (its text is not kept). */
  static final String TOO_LONG = new String("<too long>");

  /** Returned for a line that is not valid UTF-8. */
  static final String NOT_UTF8 = new String("<not utf-8>");

  private final InputStream in;
  private final int maxBytes;
  private final byte[] buffer = new byte[1 << 16];
  private final CharsetDecoder decoder =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
  private byte[] line = new byte[256];
  private int pos;
  private int end;

  BoundedLines(InputStream in, int maxBytes) {
    this.in = in;
    this.maxBytes = maxBytes;
  }

  /** The next line, {@link #TOO_LONG}, {@link #NOT_UTF8}, or null at the end. */
  String next() throws IOException {
    int length = 0;
    boolean tooLong = false;
    boolean any = false;
    while (true) {
      if (pos == end) {
        end = in.read(buffer, 0, buffer.length);
        pos = 0;
        if (end <= 0) {
          end = 0;
          return any ? finish(length, tooLong) : null;
        }
      }
      any = true;
      int start = pos;
      while (pos < end && buffer[pos] != '\n') {
        pos++;
      }
      int n = pos - start;
      if (!tooLong) {
        if (length + n > maxBytes) {
          tooLong = true;
        } else {
          if (length + n > line.length) {
            line = Arrays.copyOf(line, Math.max(length + n, Math.min(maxBytes, line.length * 2)));
          }
          System.arraycopy(buffer, start, line, length, n);
          length += n;
        }
      }
      if (pos < end) {
        pos++; // the '\n'
        return finish(length, tooLong);
      }
    }
  }

  private String finish(int length, boolean tooLong) {
    if (tooLong) {
      return TOO_LONG;
    }
    if (length > 0 && line[length - 1] == '\r') {
      length--;
    }
    try {
      return decoder.reset().decode(ByteBuffer.wrap(line, 0, length)).toString();
    } catch (CharacterCodingException e) {
      return NOT_UTF8;
    }
  }
}
