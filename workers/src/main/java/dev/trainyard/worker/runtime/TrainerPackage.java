package dev.trainyard.worker.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The Python sources of the reference trainer, packaged as resources under {@value #RESOURCE_ROOT}
 * in the worker jar. They are extracted to {@code <root>/runtime/trainer-<hash>/} at first use —
 * the same way from the fat jar, the plain jar the backend embeds, or {@code target/classes} in
 * tests — so the step process imports exactly the trainer this worker was built with, and two
 * versions never mix.
 */
public final class TrainerPackage {
  public static final String RESOURCE_ROOT = "trainer-python";
  static final String MARKER = "trainyard_trainer/__init__.py";

  private final Map<String, byte[]> files;
  private final String hash;

  private TrainerPackage(Map<String, byte[]> files) {
    this.files = files;
    this.hash = hashOf(files);
  }

  /** Reads the packaged sources from the classpath. */
  public static TrainerPackage fromClasspath() {
    URL marker = TrainerPackage.class.getClassLoader().getResource(RESOURCE_ROOT + "/" + MARKER);
    if (marker == null) {
      throw new IllegalStateException(
          "the worker was built without the trainer's Python sources ("
              + RESOURCE_ROOT
              + "/"
              + MARKER
              + " is not on the classpath)");
    }
    try {
      URI uri = marker.toURI();
      if ("jar".equals(uri.getScheme())) {
        FileSystem fs;
        boolean opened = false;
        try {
          fs = FileSystems.newFileSystem(uri, Map.of());
          opened = true;
        } catch (FileSystemAlreadyExistsException e) {
          fs = FileSystems.getFileSystem(uri);
        }
        try {
          return new TrainerPackage(read(fs.getPath("/" + RESOURCE_ROOT)));
        } finally {
          if (opened) {
            fs.close();
          }
        }
      }
      Path markerPath = Path.of(uri);
      return new TrainerPackage(read(markerPath.getParent().getParent()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the trainer's Python sources", e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, byte[]> read(Path base) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(base)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        String rel = base.relativize(p).toString().replace('\\', '/');
        if (Files.isRegularFile(p) && rel.endsWith(".py") && !rel.contains("__pycache__")) {
          try (InputStream in = Files.newInputStream(p)) {
            files.put(rel, in.readAllBytes());
          }
        }
      }
    }
    return files;
  }

  /** sha256 over every file's path and content, hex; the trainer version in the lineage sense. */
  public String hash() {
    return hash;
  }

  /**
   * The directory to put on {@code PYTHONPATH}; extracted if absent. Written to a temp dir and
   * renamed, so concurrent workers on one root and a crash mid-extraction never leave a partial
   * package.
   */
  public Path extractUnder(Path root) throws IOException {
    Path runtimeDir = root.toAbsolutePath().resolve("runtime");
    Path target = runtimeDir.resolve("trainer-" + hash.substring(0, 16));
    if (Files.isRegularFile(target.resolve(MARKER))) {
      return target;
    }
    Files.createDirectories(runtimeDir);
    Path tmp = Files.createTempDirectory(runtimeDir, ".extract-");
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      Path dest = tmp.resolve(file.getKey());
      Files.createDirectories(dest.getParent());
      Files.write(dest, file.getValue());
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      if (!Files.isRegularFile(target.resolve(MARKER))) {
        throw e;
      }
      deleteTree(tmp); // another worker won the race; its copy is identical
    }
    return target;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static String hashOf(Map<String, byte[]> files) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        sha.update(file.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(file.getValue());
        sha.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
