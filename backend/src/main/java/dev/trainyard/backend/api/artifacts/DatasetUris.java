package dev.trainyard.backend.api.artifacts;

import dev.trainyard.backend.api.ApiProblem.FieldError;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * Strict parsing of dataset URIs (issue 11 M1, M5). Only {@code file:///absolute/path} is accepted:
 * no host ({@code file://localhost/}, {@code file://evil/}), no relative form ({@code
 * file:etc/passwd}), no query or fragment, no {@code .} or {@code ..} segment, no NUL. Remote
 * schemes are refused until an S3 store exists to verify their content. Every refusal is a field
 * error, never an exception.
 */
final class DatasetUris {
  private DatasetUris() {}

  static final String FORM = "expected file:///absolute/path";

  /** The local path the URI names, or null with the reason added to {@code problems}. */
  static Path localPath(String text, List<FieldError> problems) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      problems.add(new FieldError("uri", "not a URI (" + e.getReason() + "); " + FORM));
      return null;
    }
    String scheme = uri.getScheme();
    if (scheme == null || !scheme.equals("file")) {
      problems.add(
          new FieldError(
              "uri",
              scheme != null && scheme.equalsIgnoreCase("s3")
                  ? "s3 URIs are refused until an S3 artifact store can verify their content; "
                      + FORM
                  : "unsupported scheme; " + FORM));
      return null;
    }
    String path = uri.getPath();
    if (uri.isOpaque()
        || uri.getRawAuthority() != null
        || !text.startsWith("file:///")
        || path == null
        || !path.startsWith("/")) {
      problems.add(new FieldError("uri", "must name no host and an absolute path; " + FORM));
      return null;
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      problems.add(new FieldError("uri", "must have no query or fragment; " + FORM));
      return null;
    }
    for (String segment : path.split("/", -1)) {
      if (segment.equals("..") || segment.equals(".")) {
        problems.add(new FieldError("uri", "must not contain '.' or '..' segments; " + FORM));
        return null;
      }
    }
    if (path.indexOf('\0') >= 0 || path.endsWith("/")) {
      problems.add(
          new FieldError("uri", "must name a file or directory, without a trailing '/'; " + FORM));
      return null;
    }
    try {
      return Path.of(path);
    } catch (InvalidPathException e) {
      problems.add(new FieldError("uri", "not a valid path; " + FORM));
      return null;
    }
  }
}
