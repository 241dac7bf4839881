package dev.trainyard.backend.home;

/**
 * What a file path inside an artifact may look like, as a client names it: the manifest's form
 * ({@code /}-separated, relative, no {@code .} or {@code ..} segments, no empty segment, no
 * backslash or control character). Checked before anything touches the file system, and again by
 * the store.
 */
public final class ArtifactPaths {
  private ArtifactPaths() {}

  public static boolean isSafe(String path) {
    if (path == null || path.isEmpty() || path.length() > 4096 || path.startsWith("/")) {
      return false;
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\\') {
        return false;
      }
    }
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        return false;
      }
    }
    return true;
  }
}
