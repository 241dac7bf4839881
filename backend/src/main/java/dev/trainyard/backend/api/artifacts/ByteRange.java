package dev.trainyard.backend.api.artifacts;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One byte range of a file, from a {@code Range} header (RFC 9110 section 14): {@code bytes=a-b},
 * {@code bytes=a-} or {@code bytes=-n}. Only single ranges are served; a header asking for several,
 * or one that does not parse, is ignored and the whole file is sent, as the RFC allows.
 *
 * @param first offset of the first byte
 * @param last offset of the last byte (inclusive)
 */
record ByteRange(long first, long last) {
  private static final Pattern SINGLE =
      Pattern.compile("bytes=[ \\t]*(\\d{0,19})[ \\t]*-[ \\t]*(\\d{0,19})[ \\t]*");

  long length() {
    return last - first + 1;
  }

  String contentRange(long size) {
    return "bytes " + first + "-" + last + "/" + size;
  }

  /** What a {@code Range} header asks of a file of {@code size} bytes. */
  sealed interface Request {}

  /** No range (absent, unparsable, several): the whole file, 200. */
  record Whole() implements Request {}

  /** One satisfiable range: 206. */
  record Part(ByteRange range) implements Request {}

  /** A range no byte of the file is in: 416. */
  record Unsatisfiable() implements Request {}

  static Request parse(String header, long size) {
    if (header == null) {
      return new Whole();
    }
    Matcher m = SINGLE.matcher(header.strip());
    if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
      return new Whole();
    }
    Optional<Long> first = number(m.group(1));
    Optional<Long> last = number(m.group(2));
    if ((!m.group(1).isEmpty() && first.isEmpty()) || (!m.group(2).isEmpty() && last.isEmpty())) {
      return new Whole(); // digits beyond a long: not a range we can mean
    }
    if (first.isEmpty()) {
      long suffix = last.get();
      if (suffix == 0 || size == 0) {
        return new Unsatisfiable();
      }
      return new Part(new ByteRange(Math.max(0, size - suffix), size - 1));
    }
    if (last.isPresent() && last.get() < first.get()) {
      return new Whole(); // invalid syntax per the RFC, so ignored
    }
    if (first.get() >= size) {
      return new Unsatisfiable();
    }
    long end = last.isEmpty() ? size - 1 : Math.min(last.get(), size - 1);
    return new Part(new ByteRange(first.get(), end));
  }

  private static Optional<Long> number(String digits) {
    if (digits.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Long.parseLong(digits));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
