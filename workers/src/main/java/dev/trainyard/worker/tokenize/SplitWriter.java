package dev.trainyard.worker.tokenize;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shards of one split ({@code train/} or {@code eval/}): {@code shard-NNNNN.tokens} (ids,
 * little-endian uint16/uint32), {@code .mask} (one byte per token) and {@code .docs} (int64
 * document starts, then the token count), cut at document boundaries once a shard holds {@code
 * shardBytes} of ids.
 */
final class SplitWriter implements AutoCloseable {
  private static final int BUFFER = 1 << 20;

  private final Path root;
  private final String split;
  private final int bytesPerToken;
  private final long shardBytes;
  private final List<Map<String, Object>> shards = new ArrayList<>();
  private OutputStream tokens;
  private OutputStream mask;
  private long[] starts = new long[1024];
  private int shardDocuments;
  private long shardTokens;
  private long documents;
  private long totalTokens;
  private ByteBuffer scratch = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);

  SplitWriter(Path root, String split, int bytesPerToken, long shardBytes) {
    this.root = root;
    this.split = split;
    this.bytesPerToken = bytesPerToken;
    this.shardBytes = shardBytes;
  }

  void add(int[] ids, int length, byte[] lossMask) throws IOException {
    if (tokens != null && shardTokens * bytesPerToken >= shardBytes) {
      closeShard();
    }
    if (tokens == null) {
      openShard();
    }
    if (shardDocuments + 1 >= starts.length) {
      starts = Arrays.copyOf(starts, starts.length * 2);
    }
    starts[shardDocuments++] = shardTokens;
    int need = length * bytesPerToken;
    if (scratch.capacity() < need) {
      scratch = ByteBuffer.allocate(need).order(ByteOrder.LITTLE_ENDIAN);
    }
    scratch.clear();
    if (bytesPerToken == 2) {
      for (int i = 0; i < length; i++) {
        scratch.putShort((short) ids[i]);
      }
    } else {
      for (int i = 0; i < length; i++) {
        scratch.putInt(ids[i]);
      }
    }
    tokens.write(scratch.array(), 0, need);
    mask.write(lossMask, 0, length);
    shardTokens += length;
    totalTokens += length;
    documents++;
  }

  private String shardName() {
    return split + "/shard-" + String.format("%05d", shards.size());
  }

  private void openShard() throws IOException {
    Files.createDirectories(root.resolve(split));
    tokens =
        new BufferedOutputStream(
            Files.newOutputStream(root.resolve(shardName() + ".tokens")), BUFFER);
    mask =
        new BufferedOutputStream(
            Files.newOutputStream(root.resolve(shardName() + ".mask")), BUFFER);
    shardDocuments = 0;
    shardTokens = 0;
  }

  private void closeShard() throws IOException {
    String name = shardName();
    tokens.close();
    mask.close();
    tokens = null;
    ByteBuffer docs =
        ByteBuffer.allocate((shardDocuments + 1) * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < shardDocuments; i++) {
      docs.putLong(starts[i]);
    }
    docs.putLong(shardTokens);
    Files.write(root.resolve(name + ".docs"), docs.array());
    Map<String, Object> shard = new LinkedHashMap<>();
    shard.put("tokens", name + ".tokens");
    shard.put("mask", name + ".mask");
    shard.put("docs", name + ".docs");
    shard.put("documents", shardDocuments);
    shard.put("n_tokens", shardTokens);
    shards.add(shard);
  }

  /** Closes an open shard's files without indexing it: a failed step leaves no open handles. */
  @Override
  public void close() throws IOException {
    if (tokens != null) {
      try (OutputStream t = tokens;
          OutputStream m = mask) {
        tokens = null;
      }
    }
  }

  long documents() {
    return documents;
  }

  /**
   * Closes the last shard; the split's entry of tokens.json, or null when it got no document. A
   * shard's {@code tokens} is its file (the contract's example also names its count {@code tokens},
   * a duplicate key): the count is the added key {@code n_tokens}.
   */
  Map<String, Object> finish() throws IOException {
    if (tokens != null) {
      closeShard();
    }
    if (documents == 0) {
      return null;
    }
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("documents", documents);
    entry.put("tokens", totalTokens);
    List<Map<String, Object>> listed = new ArrayList<>();
    for (Map<String, Object> shard : shards) {
      listed.add(shard);
    }
    entry.put("shards", listed);
    return entry;
  }
}
