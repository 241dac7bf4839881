package dev.trainyard.worker.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

/**
 * A worker's bounded copy of the artifacts its steps read from a remote store: {@code <dir>/<id>/}
 * (read-only, verified when it was filled), assembled under {@code <dir>/tmp/}.
 *
 * <p>Shared by the worker's concurrent steps: two steps asking for the same artifact wait for one
 * download. An artifact is in use while a {@link Lease} on it is open, and is never evicted then;
 * the others go least recently used first when room is needed. The sizes it counts are the
 * manifests' file sizes, and their sum never exceeds the limit: an artifact that cannot fit beside
 * those in use is refused, not squeezed in.
 *
 * <p>The cache does not outlive the process: whatever an earlier run left is removed at start, as
 * nothing vouches any more for files that sat on disk unwatched.
 */
public final class InputCache {
  private final Path dir;
  private final Path staging;
  private final long maxBytes;
  // Access order: the first entry is the least recently used one.
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  // Deleted from the store while a step still reads them: their bytes count until the last lease.
  private final List<Entry> retired = new ArrayList<>();
  private long usedBytes;

  /** Fills a fresh directory with an artifact's verified files, or throws. */
  @FunctionalInterface
  public interface Filler {
    void fill(Path into) throws IOException;
  }

  private static final class Entry {
    final long sizeBytes;
    final Path path;
    final CompletableFuture<Path> ready = new CompletableFuture<>();
    int pins;
    boolean doomed;

    Entry(long sizeBytes, Path path) {
      this.sizeBytes = sizeBytes;
      this.path = path;
    }
  }

  public InputCache(Path dir, long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("the input cache needs a positive size, got " + maxBytes);
    }
    this.maxBytes = maxBytes;
    try {
      this.dir = Files.createDirectories(dir).toRealPath();
      try (Stream<Path> leftovers = Files.list(this.dir)) {
        for (Path p : leftovers.toList()) {
          FileTrees.deleteRecursively(p);
        }
      }
      this.staging = Files.createDirectories(this.dir.resolve("tmp"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use input cache dir " + dir, e);
    }
  }

  /** The directory the cached artifacts live in (steps read them there). */
  public Path dir() {
    return dir;
  }

  public long maxBytes() {
    return maxBytes;
  }

  /** Bytes held or being downloaded now. */
  public synchronized long usedBytes() {
    return usedBytes;
  }

  /** Ids held now (complete or being filled), least recently used first. */
  public synchronized List<String> ids() {
    return List.copyOf(entries.keySet());
  }

  /** An artifact kept from eviction until closed. */
  public final class Lease implements AutoCloseable {
    private final Entry entry;
    private boolean closed;

    private Lease(Entry entry) {
      this.entry = entry;
    }

    public Path dir() {
      return entry.path;
    }

    @Override
    public void close() {
      synchronized (InputCache.this) {
        if (closed) {
          return;
        }
        closed = true;
        entry.pins--;
        if (entry.doomed && entry.pins == 0 && retired.remove(entry)) {
          drop(entry);
        }
      }
    }
  }

  /**
   * The artifact's directory, filled by {@code filler} unless this cache holds it already or
   * another thread is filling it (then this one waits for that).
   *
   * @throws IOException if it cannot fit beside the artifacts in use, or the fill failed
   */
  public Lease acquire(String id, long sizeBytes, Filler filler) throws IOException {
    Entry entry;
    boolean fillHere = false;
    synchronized (this) {
      entry = entries.get(id);
      if (entry == null) {
        makeRoom(id, sizeBytes);
        // Beside a retired copy that a running step still reads, if there is one.
        Path path = dir.resolve(id);
        for (Entry old : retired) {
          if (old.path.equals(path)) {
            path = dir.resolve(id + "." + UUID.randomUUID());
          }
        }
        entry = new Entry(sizeBytes, path);
        entries.put(id, entry);
        usedBytes += sizeBytes;
        fillHere = true;
      }
      entry.pins++;
    }
    if (fillHere) {
      return fill(id, entry, filler);
    }
    try {
      entry.ready.get();
      return new Lease(entry);
    } catch (ExecutionException e) {
      release(entry);
      throw e.getCause() instanceof IOException io
          ? io
          : new IOException("download of artifact " + id + " failed: " + e.getCause(), e);
    } catch (InterruptedException e) {
      release(entry);
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted waiting for artifact " + id);
    }
  }

  /**
   * Takes over {@code files} (already verified: the store has just hashed them while uploading) as
   * the cached copy of {@code id}, if it is not held and fits without evicting anything; otherwise
   * deletes them. Either way {@code files} is gone afterwards.
   */
  public void adopt(String id, Path files, long sizeBytes) throws IOException {
    Entry entry = null;
    synchronized (this) {
      if (!entries.containsKey(id)
          && usedBytes + sizeBytes <= maxBytes
          && retired.stream().noneMatch(e -> e.path.equals(dir.resolve(id)))) {
        entry = new Entry(sizeBytes, dir.resolve(id));
        entries.put(id, entry);
        usedBytes += sizeBytes;
      }
    }
    if (entry == null) {
      FileTrees.deleteRecursively(files);
      return;
    }
    try {
      FileTrees.makeReadOnly(files, false);
      Files.move(files, entry.path, StandardCopyOption.ATOMIC_MOVE);
      entry.ready.complete(entry.path);
    } catch (IOException | RuntimeException e) {
      synchronized (this) {
        entries.remove(id, entry);
        usedBytes -= sizeBytes;
      }
      entry.ready.completeExceptionally(e);
      FileTrees.deleteQuietly(files);
    }
  }

  /**
   * Forgets the artifact (its store deleted it): removed now, or when its last lease closes, so a
   * running step keeps its input.
   */
  public synchronized void evict(String id) {
    Entry entry = entries.get(id);
    if (entry == null || !entry.ready.isDone()) {
      return; // one being filled now was fetched before the delete, or fails on its own
    }
    entries.remove(id);
    if (entry.pins == 0) {
      drop(entry);
    } else {
      entry.doomed = true;
      retired.add(entry);
    }
  }

  private Lease fill(String id, Entry entry, Filler filler) throws IOException {
    Path work = staging.resolve(id + "-" + UUID.randomUUID());
    try {
      Files.createDirectories(work);
      filler.fill(work);
      FileTrees.makeReadOnly(work, false);
      Files.move(work, entry.path, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      FileTrees.deleteQuietly(work);
      synchronized (this) {
        entry.pins--;
        if (entries.get(id) == entry) {
          entries.remove(id);
        }
        usedBytes -= entry.sizeBytes;
      }
      entry.ready.completeExceptionally(e);
      throw e;
    }
    entry.ready.complete(entry.path);
    return new Lease(entry);
  }

  private synchronized void release(Entry entry) {
    entry.pins--;
  }

  /** Evicts unused artifacts, least recently used first, until {@code sizeBytes} more fit. */
  private void makeRoom(String id, long sizeBytes) throws IOException {
    if (sizeBytes > maxBytes) {
      throw new IOException(
          "artifact "
              + id
              + " ("
              + sizeBytes
              + " bytes) is larger than the worker's input cache ("
              + maxBytes
              + " bytes); give the worker a larger --cache-size");
    }
    List<Map.Entry<String, Entry>> victims = new ArrayList<>();
    long free = maxBytes - usedBytes;
    for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        free < sizeBytes && it.hasNext(); ) {
      Map.Entry<String, Entry> e = it.next();
      if (e.getValue().pins == 0 && e.getValue().ready.isDone()) {
        victims.add(e);
        free += e.getValue().sizeBytes;
      }
    }
    if (free < sizeBytes) {
      throw new IOException(
          "the worker's input cache cannot take artifact "
              + id
              + " ("
              + sizeBytes
              + " bytes): "
              + (maxBytes - free)
              + " of its "
              + maxBytes
              + " bytes are inputs of running steps; retry when they finish or give the worker"
              + " a larger --cache-size");
    }
    for (Map.Entry<String, Entry> victim : victims) {
      entries.remove(victim.getKey());
      drop(victim.getValue());
    }
  }

  private void drop(Entry entry) {
    usedBytes -= entry.sizeBytes;
    FileTrees.deleteQuietly(entry.path);
  }
}
