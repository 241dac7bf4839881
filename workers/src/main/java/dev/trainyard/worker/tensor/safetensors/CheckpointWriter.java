package dev.trainyard.worker.tensor.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes a checkpoint in the Hugging Face layout: shards of at most {@code maxShardBytes} ({@code
 * model-00001-of-00003.safetensors} and an index), or one {@code model.safetensors}. Everything is
 * written into a hidden staging directory and moved into place only by {@link #commit()}, so a
 * failed or cancelled step never leaves a half-written checkpoint behind.
 */
public final class CheckpointWriter implements AutoCloseable {
  public static final long DEFAULT_MAX_SHARD_BYTES = 5L * 1000 * 1000 * 1000;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path outDir;
  private final Path staging;
  private final List<List<TensorSpec>> shards = new ArrayList<>();
  private final List<String> shardNames = new ArrayList<>();
  private final Map<String, WrittenFile> written = new TreeMap<>();
  private final long totalBytes;
  private int shard = -1;
  private int inShard;
  private SafetensorsWriter current;
  private boolean committed;

  public CheckpointWriter(Path outDir, List<TensorSpec> plan, long maxShardBytes)
      throws IOException {
    this.outDir = outDir;
    Files.createDirectories(outDir);
    this.staging = Files.createDirectory(outDir.resolve(".staging-" + UUID.randomUUID()));
    List<TensorSpec> open = new ArrayList<>();
    long openBytes = 0;
    long total = 0;
    for (TensorSpec t : plan) {
      if (!open.isEmpty() && openBytes + t.byteSize() > maxShardBytes) {
        shards.add(open);
        open = new ArrayList<>();
        openBytes = 0;
      }
      open.add(t);
      openBytes += t.byteSize();
      total += t.byteSize();
    }
    shards.add(open);
    this.totalBytes = total;
    for (int i = 0; i < shards.size(); i++) {
      shardNames.add(
          shards.size() == 1
              ? Checkpoint.SINGLE
              : String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size()));
    }
  }

  private SafetensorsWriter next() throws IOException {
    while (current == null || inShard == shards.get(shard).size()) {
      if (current != null) {
        WrittenFile f = current.finish();
        written.put(f.name(), f);
      }
      shard++;
      inShard = 0;
      if (shard >= shards.size()) {
        throw new IllegalStateException("more tensors written than planned");
      }
      current =
          new SafetensorsWriter(
              staging.resolve(shardNames.get(shard)), shards.get(shard), Map.of("format", "pt"));
    }
    inShard++;
    return current;
  }

  /** Writes the next tensor; returns how many of its values are zero. */
  public long writeFloats(String name, float[] data) throws IOException {
    return next().writeFloats(name, data);
  }

  public void writeRaw(String name, ByteBuffer data) throws IOException {
    next().writeRaw(name, data);
  }

  /** Adds a small file (config, report) to the checkpoint. */
  public void writeFile(String name, byte[] content) throws IOException {
    Path p = staging.resolve(name);
    Files.write(p, content);
    written.put(name, new WrittenFile(name, content.length, sha256(content)));
  }

  public void writeJson(String name, Object value) throws IOException {
    writeFile(name, JSON.writeValueAsBytes(value));
  }

  /** Copies a file (a tokenizer file) into the checkpoint, hashing while copying. */
  public void copyFile(Path source) throws IOException {
    String name = source.getFileName().toString();
    MessageDigest md = newDigest();
    long size;
    try (InputStream in = Files.newInputStream(source);
        OutputStream out =
            new DigestOutputStream(Files.newOutputStream(staging.resolve(name)), md)) {
      size = in.transferTo(out);
    }
    written.put(name, new WrittenFile(name, size, HexFormat.of().formatHex(md.digest())));
  }

  /**
   * Finishes the last shard, writes the index when sharded, and moves every file into the output
   * dir.
   */
  public Map<String, WrittenFile> commit() throws IOException {
    if (shard < shards.size() - 1
        || (current != null && inShard < shards.get(shard).size())
        || (current == null && !shards.get(0).isEmpty())) {
      throw new IllegalStateException("not every planned tensor was written");
    }
    if (current != null) {
      WrittenFile f = current.finish();
      written.put(f.name(), f);
    } else {
      // a checkpoint without tensors still gets its (empty) file, so that it loads
      try (var w =
          new SafetensorsWriter(
              staging.resolve(Checkpoint.SINGLE), List.of(), Map.of("format", "pt"))) {
        WrittenFile f = w.finish();
        written.put(f.name(), f);
      }
    }
    if (shards.size() > 1) {
      Map<String, String> weightMap = new LinkedHashMap<>();
      for (int i = 0; i < shards.size(); i++) {
        for (TensorSpec t : shards.get(i)) {
          weightMap.put(t.name(), shardNames.get(i));
        }
      }
      writeJson(
          Checkpoint.INDEX,
          Map.of("metadata", Map.of("total_size", totalBytes), "weight_map", weightMap));
    }
    for (String name : written.keySet()) {
      Files.move(
          staging.resolve(name),
          outDir.resolve(name),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    }
    Files.delete(staging);
    committed = true;
    return Map.copyOf(written);
  }

  /** Removes the staging directory unless committed. */
  @Override
  public void close() throws IOException {
    if (current != null) {
      current.close();
    }
    if (!committed && Files.exists(staging)) {
      try (Stream<Path> walk = Files.walk(staging)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  static String sha256(byte[] content) {
    return HexFormat.of().formatHex(newDigest().digest(content));
  }

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
