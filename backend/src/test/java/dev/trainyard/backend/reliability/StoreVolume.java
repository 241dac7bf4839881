package dev.trainyard.backend.reliability;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A real, small file system for the artifact store: the Trainyard home is a 16 MiB tmpfs (the
 * store's {@code artifacts/} and {@code tmp/} live there) with the attempts' {@code work/} dir on a
 * separate, roomy tmpfs, as when the store is its own volume. Tests fill it, remount it read-only,
 * or grow it. Mounting needs root (CI runs as root); elsewhere {@link #mounted()} is false and the
 * test is skipped.
 */
public class StoreVolume implements QuarkusTestResourceLifecycleManager {
  static final Path HOME = Path.of("target/store-volume-home").toAbsolutePath();
  private static boolean mounted;

  /** The test profile that gives the app this home. */
  public static class Profile implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(StoreVolume.class));
    }
  }

  static boolean mounted() {
    return mounted;
  }

  @Override
  public Map<String, String> start() {
    try {
      unmountQuietly();
      Files.createDirectories(HOME);
      mounted = mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", HOME.toString());
      if (mounted) {
        Files.createDirectories(HOME.resolve("work"));
        mounted = mount("-t", "tmpfs", "-o", "size=256m", "tmpfs", HOME.resolve("work").toString());
      }
    } catch (IOException | InterruptedException e) {
      mounted = false;
    }
    return Map.of("trainyard.home", HOME.toString());
  }

  @Override
  public void stop() {
    unmountQuietly();
  }

  /** {@code size=64m}, {@code ro}, {@code rw}: changes the store volume while the app runs. */
  static void remount(String option) throws IOException, InterruptedException {
    if (!mount("-o", "remount," + option, HOME.toString())) {
      throw new IOException("could not remount " + HOME + " with " + option);
    }
  }

  private static void unmountQuietly() {
    try {
      run("umount", "-l", HOME.resolve("work").toString());
      run("umount", "-l", HOME.toString());
    } catch (IOException | InterruptedException ignored) {
      // Nothing was mounted.
    }
  }

  private static boolean mount(String... args) throws IOException, InterruptedException {
    String[] command = new String[args.length + 1];
    command[0] = "mount";
    System.arraycopy(args, 0, command, 1, args.length);
    return run(command);
  }

  private static boolean run(String... command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    return p.waitFor() == 0;
  }
}
