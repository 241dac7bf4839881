package dev.trainyard.worker.tensor.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes one safetensors file sequentially: the header is fixed up front from the planned tensors,
 * then each tensor's data follows in plan order, hashed (sha256) as it is written — the file is
 * never read back. Data goes out in 4 MiB writes from two buffers that take turns: while one is
 * hashed on a hashing thread and written from the calling one, the next is encoded.
 */
public final class SafetensorsWriter implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BUFFER_BYTES = 4 << 20;

  private final Path path;
  private final List<TensorSpec> plan;
  private final FileChannel channel;
  private final MessageDigest digest;
  private final ByteBuffer[] buffers = {
    ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN),
    ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN)
  };

  /** The hash of what each buffer last held; the buffer is reused only once it is done. */
  private final Future<?>[] hashed = new Future<?>[2];

  private int turn;
  private ExecutorService hasher;
  private Future<?> lastHash;
  private int next;
  private long written;

  public SafetensorsWriter(Path path, List<TensorSpec> plan, Map<String, String> metadata)
      throws IOException {
    this.path = path;
    this.plan = List.copyOf(plan);
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    this.channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    byte[] header = header(this.plan, metadata);
    ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(header.length).put(header).flip();
    digest.update(head.duplicate());
    write(head);
  }

  /**
   * The JSON header, padded with spaces to a multiple of 8 bytes so that the data section is
   * aligned.
   */
  static byte[] header(List<TensorSpec> plan, Map<String, String> metadata) {
    Map<String, Object> root = new LinkedHashMap<>();
    if (!metadata.isEmpty()) {
      root.put("__metadata__", metadata);
    }
    long offset = 0;
    for (TensorSpec t : plan) {
      long end = offset + t.byteSize();
      // a LinkedHashMap, not Map.of: Map.of's order changes from one JVM to the next, and with it
      // the file's bytes and hash for the same tensors
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("dtype", t.dtype().name());
      entry.put("shape", t.shape());
      entry.put("data_offsets", List.of(offset, end));
      root.put(t.name(), entry);
      offset = end;
    }
    try {
      String json = JSON.writeValueAsString(root);
      int pad = (8 - (json.getBytes(StandardCharsets.UTF_8).length % 8)) % 8;
      return (json + " ".repeat(pad)).getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private TensorSpec expect(String name) {
    if (next >= plan.size() || !plan.get(next).name().equals(name)) {
      throw new IllegalStateException(
          path
              + ": expected tensor "
              + (next < plan.size() ? "'" + plan.get(next).name() + "'" : "none")
              + " next, got '"
              + name
              + "'");
    }
    return plan.get(next++);
  }

  /**
   * Encodes and writes the next tensor of the plan from floats, rounding to nearest even for 16-bit
   * types.
   *
   * @return how many of the values are zero (either sign), counted while encoding
   */
  public long writeFloats(String name, float[] data) throws IOException {
    TensorSpec spec = expect(name);
    if (spec.numel() != data.length) {
      throw new IllegalStateException(
          path
              + ": tensor '"
              + name
              + "' planned with "
              + spec.numel()
              + " elements, got "
              + data.length);
    }
    int es = spec.dtype().size();
    int perChunk = BUFFER_BYTES / es;
    long zeros = 0;
    for (int from = 0; from < data.length; from += perChunk) {
      int n = Math.min(perChunk, data.length - from);
      ByteBuffer buffer = freeBuffer();
      zeros += encode(spec.dtype(), data, from, n, buffer);
      buffer.position(n * es).flip();
      emit(buffer);
    }
    return zeros;
  }

  /** Writes the next tensor of the plan from its raw bytes (a tensor passed through unchanged). */
  public void writeRaw(String name, ByteBuffer data) throws IOException {
    TensorSpec spec = expect(name);
    if (spec.byteSize() != data.remaining()) {
      throw new IllegalStateException(
          path
              + ": tensor '"
              + name
              + "' planned with "
              + spec.byteSize()
              + " bytes, got "
              + data.remaining());
    }
    while (data.hasRemaining()) {
      ByteBuffer slice = data.slice();
      int n = Math.min(slice.remaining(), BUFFER_BYTES);
      slice.limit(n);
      emit(slice);
      data.position(data.position() + n);
    }
  }

  /** Encodes {@code src[from, from + n)} into {@code dst}; returns how many are zero. */
  static long encode(DType dtype, float[] src, int from, int n, ByteBuffer dst) {
    switch (dtype) {
      case F32 -> dst.asFloatBuffer().put(src, from, n);
      case BF16 -> {
        // Floats.floatToBf16 without branches, zeros counted in the same pass
        var s = dst.asShortBuffer();
        long zeros = 0;
        for (int i = 0; i < n; i++) {
          int x = Float.floatToRawIntBits(src[from + i]);
          int magnitude = x & 0x7FFFFFFF;
          int nan = (0x7F800000 - magnitude) >> 31; // all ones for a NaN
          int rounded = (x + ((0x7FFF + ((x >>> 16) & 1)) & ~nan)) >>> 16;
          s.put(i, (short) (rounded | (nan & 0x0040))); // a NaN stays a quiet NaN
          zeros += (magnitude - 1) >>> 31;
        }
        return zeros;
      }
      case F16 -> {
        var s = dst.asShortBuffer();
        for (int i = 0; i < n; i++) {
          s.put(i, Float.floatToFloat16(src[from + i]));
        }
      }
      case F64 -> {
        var s = dst.asDoubleBuffer();
        for (int i = 0; i < n; i++) {
          s.put(i, src[from + i]);
        }
      }
      default -> throw new IllegalArgumentException("cannot encode floats as " + dtype);
    }
    long zeros = 0;
    for (int i = from; i < from + n; i++) {
      zeros += ((Float.floatToRawIntBits(src[i]) & 0x7FFFFFFF) - 1) >>> 31;
    }
    return zeros;
  }

  /** The buffer whose turn it is, once its previous contents are hashed. */
  private ByteBuffer freeBuffer() throws IOException {
    await(hashed[turn]);
    hashed[turn] = null;
    return buffers[turn].clear();
  }

  /** Hashes {@code buf} on the hashing thread while writing it here, then passes the turn. */
  private void emit(ByteBuffer buf) throws IOException {
    if (hasher == null) {
      hasher =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "safetensors-sha256");
                t.setDaemon(true);
                return t;
              });
    }
    ByteBuffer view = buf.duplicate();
    lastHash = hasher.submit(() -> digest.update(view)); // one thread: updates stay in order
    write(buf);
    hashed[turn] = lastHash;
    turn ^= 1;
  }

  private void write(ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      written += channel.write(buf);
    }
  }

  private static void await(Future<?> f) throws IOException {
    if (f == null) {
      return;
    }
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted while hashing");
    } catch (ExecutionException e) {
      throw new IOException("hashing failed", e.getCause());
    }
  }

  /**
   * Closes the file once every planned tensor was written; its sha256 covers exactly the bytes
   * written.
   */
  public WrittenFile finish() throws IOException {
    if (next != plan.size()) {
      throw new IllegalStateException(
          path + ": " + (plan.size() - next) + " planned tensors were not written");
    }
    await(lastHash);
    shutdownHasher();
    channel.close();
    return new WrittenFile(
        path.getFileName().toString(), written, HexFormat.of().formatHex(digest.digest()));
  }

  private void shutdownHasher() {
    if (hasher != null) {
      hasher.shutdownNow();
      hasher = null;
    }
  }

  @Override
  public void close() throws IOException {
    shutdownHasher();
    channel.close();
  }
}
