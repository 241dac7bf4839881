package dev.trainyard.backend.api.artifacts;

import dev.trainyard.backend.api.ApiProblem.FieldError;
import dev.trainyard.backend.intake.S3Sources.S3Uri;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * Strict parsing of dataset URIs (issue 11 M1, M5). {@code file:///absolute/path}: no host ({@code
 * file://localhost/}, {@code file://evil/}), no relative form ({@code file:etc/passwd}), no query
 * or fragment, no {@code .} or {@code ..} segment, no NUL. {@code s3://bucket/key} (a dataset's
 * only remote form): a valid bucket name, a key of non-empty segments without {@code .} or {@code
 * ..}, no query, fragment or NUL. Every refusal is a field error, never an exception.
 */
final class DatasetUris {
  private DatasetUris() {}

  static final String FORM = "expected file:///absolute/path";
  static final String FORMS = "expected file:///absolute/path or s3://bucket/key";

  /** Where a registration reads from: a local path or an S3 object or prefix. */
  sealed interface Source permits Local, Remote {}

  record Local(Path path) implements Source {}

  record Remote(S3Uri uri) implements Source {}

  /** The source a dataset URI names, or null with the reason added to {@code problems}. */
  static Source source(String text, List<FieldError> problems) {
    if (text.regionMatches(true, 0, "s3://", 0, 5)) {
      S3Uri uri = s3(text, problems);
      return uri == null ? null : new Remote(uri);
    }
    Path path = localPath(text, problems, FORMS);
    return path == null ? null : new Local(path);
  }

  private static S3Uri s3(String text, List<FieldError> problems) {
    if (!text.startsWith("s3://")) {
      problems.add(new FieldError("uri", "the scheme is written in lower case; " + FORMS));
      return null;
    }
    if (text.indexOf('?') >= 0 || text.indexOf('#') >= 0 || text.indexOf('\0') >= 0) {
      problems.add(new FieldError("uri", "must have no query, fragment or NUL; " + FORMS));
      return null;
    }
    String rest = text.substring("s3://".length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String key = slash < 0 ? "" : rest.substring(slash + 1);
    // S3's bucket naming rules: 3-63 lower-case letters, digits, dots and hyphens.
    if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      problems.add(new FieldError("uri", "not an S3 bucket name: '" + bucket + "'; " + FORMS));
      return null;
    }
    if (key.endsWith("/")) {
      key = key.substring(0, key.length() - 1); // a "directory" prefix, written as S3 tools do
    }
    for (String segment : key.isEmpty() ? new String[0] : key.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        problems.add(
            new FieldError(
                "uri", "the key must not contain empty, '.' or '..' segments; " + FORMS));
        return null;
      }
    }
    return new S3Uri(bucket, key);
  }

  /**
   * The local path a {@code file:} URI names, or null with the reason added to {@code problems}.
   */
  static Path localPath(String text, List<FieldError> problems) {
    return localPath(text, problems, FORM);
  }

  private static Path localPath(String text, List<FieldError> problems, String form) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      problems.add(new FieldError("uri", "not a URI (" + e.getReason() + "); " + form));
      return null;
    }
    String scheme = uri.getScheme();
    if (scheme == null || !scheme.equals("file")) {
      problems.add(new FieldError("uri", "unsupported scheme; " + form));
      return null;
    }
    String path = uri.getPath();
    if (uri.isOpaque()
        || uri.getRawAuthority() != null
        || !text.startsWith("file:///")
        || path == null
        || !path.startsWith("/")) {
      problems.add(new FieldError("uri", "must name no host and an absolute path; " + form));
      return null;
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      problems.add(new FieldError("uri", "must have no query or fragment; " + form));
      return null;
    }
    for (String segment : path.split("/", -1)) {
      if (segment.equals("..") || segment.equals(".")) {
        problems.add(new FieldError("uri", "must not contain '.' or '..' segments; " + form));
        return null;
      }
    }
    if (path.indexOf('\0') >= 0 || path.endsWith("/")) {
      problems.add(
          new FieldError("uri", "must name a file or directory, without a trailing '/'; " + form));
      return null;
    }
    try {
      return Path.of(path);
    } catch (InvalidPathException e) {
      problems.add(new FieldError("uri", "not a valid path; " + form));
      return null;
    }
  }
}
