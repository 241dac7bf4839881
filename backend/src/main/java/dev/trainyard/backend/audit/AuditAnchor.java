package dev.trainyard.backend.audit;

import dev.trainyard.backend.config.TrainyardConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The chain head, written outside the database after every append: one {@code <id> <hash>} line per
 * committed audit row, appended to a 0600 file ({@code trainyard.audit.anchor-file}; in team mode a
 * path on durable storage the database's writers cannot reach — the backend has no artifact-store
 * API of its own yet). A row's hash covers every row before it, so an anchored head vouches for all
 * of them; rows after the last anchored one are reported unverified. Lines are written after the
 * commit, never before, so a rolled-back append leaves none.
 */
@ApplicationScoped
public class AuditAnchor {
  private static final Logger LOG = Logger.getLogger(AuditAnchor.class);

  public record Entry(long id, String hash) {}

  @Inject TrainyardConfig config;

  private FileChannel channel;

  /** Appends one line; a failure is logged, and verification then reports the row unverified. */
  synchronized void append(long id, String hash) {
    try {
      if (channel == null) {
        channel = open(config.audit().anchorFile());
      }
      ByteBuffer line =
          ByteBuffer.wrap((id + " " + hash + "\n").getBytes(StandardCharsets.US_ASCII));
      while (line.hasRemaining()) {
        channel.write(line);
      }
    } catch (IOException e) {
      LOG.errorf(
          e,
          "could not anchor audit row %d in %s: it stays unverified",
          id,
          config.audit().anchorFile());
    }
  }

  Path file() {
    return config.audit().anchorFile();
  }

  /** Whether an anchor file exists at all (absent: never anchored, or removed). */
  boolean exists() {
    return Files.exists(config.audit().anchorFile());
  }

  /** Every anchored line, in file order; malformed lines are skipped (a torn last write). */
  List<Entry> read() {
    Path file = config.audit().anchorFile();
    List<Entry> entries = new ArrayList<>();
    if (!Files.exists(file)) {
      return entries;
    }
    try (var lines = Files.lines(file, StandardCharsets.US_ASCII)) {
      lines.forEach(
          line -> {
            String[] parts = line.strip().split(" ");
            if (parts.length == 2
                && parts[0].matches("[0-9]{1,19}")
                && parts[1].matches("[0-9a-f]{64}")) {
              entries.add(new Entry(Long.parseLong(parts[0]), parts[1]));
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the audit anchor " + file, e);
    }
    return entries;
  }

  private static FileChannel open(Path file) throws IOException {
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    FileChannel opened =
        Files.exists(file)
            ? FileChannel.open(file, StandardOpenOption.APPEND, StandardOpenOption.WRITE)
            : FileChannel.open(
                file,
                java.util.Set.of(
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    return opened;
  }

  @PreDestroy
  synchronized void close() throws IOException {
    if (channel != null) {
      channel.close();
    }
  }
}
